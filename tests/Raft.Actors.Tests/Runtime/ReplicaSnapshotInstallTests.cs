using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Runtime;
using Raft.Actors.Snapshots;
using Raft.Actors.StateMachines;
using Raft.Actors.Storage;
using Xunit;
using static Raft.Actors.Tests.Runtime.ReplicaSnapshotTests;

namespace Raft.Actors.Tests.Runtime;

/// <summary>
/// What a follower's durable log holds after it installs a snapshot (Raft §7): nothing of
/// another history when its entry at the snapshot's index had another term, everything after
/// that entry when it had the snapshot's term. Each test restarts the follower from its
/// <see cref="FileLogStore"/> directory, as a crash before the leader's next append would.
/// </summary>
public sealed class ReplicaSnapshotInstallTests : IDisposable
{
    private const int StrandedCount = 40;
    private readonly string _directory = Directory.CreateTempSubdirectory("raft-rsnap-install-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_deposed_leader_that_installs_the_new_leaders_snapshot_does_not_reload_its_divergent_suffix_after_a_restart()
    {
        var diverged = await DivergeAsync();
        await using var cluster = diverged.Cluster;
        var deposed = diverged.Deposed;

        cluster.Network.Heal();
        var old = cluster.Replicas[deposed];
        await WaitUntilAsync(() => old.AppliedIndex >= diverged.Snapshot.Index, "the deposed leader to install the snapshot");
        var installed = await cluster.SnapshotStores[deposed].GetLatestAsync();
        Assert.Equal(new SnapshotId(diverged.Snapshot.Index, diverged.Snapshot.Term), installed!.Id);

        // Restarted before the leader's next append could overwrite anything.
        await cluster.StopReplicaAsync(deposed);
        await AssertStrandedProposalsFailedAsync(diverged.Stranded);
        cluster.Network.Isolate(deposed);
        await cluster.StartReplicaAsync(deposed);

        var store = cluster.Stores[deposed];
        var reloaded = await store.LoadAsync();
        Assert.Equal(diverged.Snapshot.Index, reloaded.CompactedIndex);
        Assert.Equal(diverged.Snapshot.Term, reloaded.CompactedTerm);
        Assert.Equal(diverged.Snapshot.Index + 1, store.FirstIndex);
        Assert.DoesNotContain(reloaded.Entries, e => e.Term == diverged.DeposedTerm);

        // Once back in the group it holds the new leader's writes and none of the stranded ones.
        cluster.Network.Heal();
        var restarted = cluster.Replicas[deposed];
        await WaitUntilAsync(() => restarted.AppliedIndex >= diverged.Leader.AppliedIndex, "the restarted replica to catch up");
        AssertHoldsTheGroupsWrites((KvStateMachine)cluster.StateMachines[deposed]);
    }

    [Fact]
    public async Task A_deposed_leader_that_crashed_after_receiving_the_new_leaders_snapshot_drops_its_divergent_suffix_on_restart()
    {
        var diverged = await DivergeAsync();
        await using var cluster = diverged.Cluster;
        var deposed = diverged.Deposed;

        // What the intake leaves when the replica dies right after publishing the received snapshot.
        await cluster.StopReplicaAsync(deposed);
        await AssertStrandedProposalsFailedAsync(diverged.Stranded);
        await CopyLatestSnapshotAsync(cluster.SnapshotStores[diverged.Leader.NodeId], cluster.SnapshotStores[deposed]);
        cluster.Network.Isolate(deposed);
        await cluster.StartReplicaAsync(deposed);
        var restarted = cluster.Replicas[deposed];
        await cluster.StopReplicaAsync(deposed);

        Assert.Null(restarted.Fault);
        await using var store = await FileLogStore.OpenAsync(NodeDirectory(deposed));
        var reloaded = await store.LoadAsync();
        Assert.Equal(diverged.Snapshot.Index, reloaded.CompactedIndex);
        Assert.Equal(diverged.Snapshot.Term, reloaded.CompactedTerm);
        Assert.Empty(reloaded.Entries);
        AssertHoldsTheGroupsWrites((KvStateMachine)cluster.StateMachines[deposed]);
    }

    [Fact]
    public async Task A_follower_that_holds_the_snapshots_last_entry_keeps_the_entries_after_it_across_a_restart()
    {
        await using var cluster = await ReplicaCluster.StartAsync(dataDirectory: _directory, snapshots: new ReplicaCluster.SnapshotSettings(Every: 10_000, Margin: 0));
        var leader = await cluster.WaitForLeaderAsync();
        var written = await WriteAsync(leader, 20);
        var snapshot = await leader.SnapshotAsync();
        for (var i = 0; i < 15; i++)
        {
            await leader.ProposeAsync(ReplicaCluster.Put($"after{i}", $"a{i}"));
            written.Add(($"after{i}", $"a{i}"));
        }

        var follower = cluster.AnyFollower(leader).NodeId;
        var applied = leader.AppliedIndex;
        await WaitUntilAsync(() => cluster.Replicas[follower].AppliedIndex >= applied, "the follower to apply every write");
        await cluster.StopReplicaAsync(follower);
        LogState held;
        await using (var store = await FileLogStore.OpenAsync(NodeDirectory(follower)))
        {
            held = await store.LoadAsync();
        }

        // The follower receives the snapshot, whose last entry its log holds with the same term,
        // and dies before its core steps it.
        var atSnapshot = held.Entries.Single(e => e.Index == snapshot.Index);
        Assert.Equal(snapshot.Term, atSnapshot.Term);
        Assert.True(held.Entries[^1].Index > snapshot.Index, "the follower's log must reach past the snapshot");
        await CopyLatestSnapshotAsync(cluster.SnapshotStores[leader.NodeId], cluster.SnapshotStores[follower]);
        cluster.Network.Isolate(follower);
        await cluster.StartReplicaAsync(follower);
        var restarted = cluster.Replicas[follower];
        await WaitUntilAsync(() => restarted.AppliedIndex >= held.HardState.Commit, "the restarted follower to re-apply the entries after the snapshot");
        await cluster.StopReplicaAsync(follower);

        Assert.Null(restarted.Fault);
        await using (var store = await FileLogStore.OpenAsync(NodeDirectory(follower)))
        {
            var reloaded = await store.LoadAsync();
            Assert.True(reloaded.CompactedIndex < snapshot.Index, $"compacted through {reloaded.CompactedIndex}, snapshot {snapshot.Index}");
            Assert.Equal(held.Entries.Where(e => e.Index > snapshot.Index), reloaded.Entries.Where(e => e.Index > snapshot.Index));
        }

        var state = (KvStateMachine)cluster.StateMachines[follower];
        foreach (var (key, value) in written)
        {
            Assert.Equal(value, state.Get(key));
        }
    }

    /// <summary>
    /// A three-node group on disk without CheckQuorum, so that an isolated leader keeps leading:
    /// it appends <see cref="StrandedCount"/> entries nobody else gets, the other two elect a new
    /// leader, which writes fewer entries and takes a snapshot through all of them (compacting
    /// its whole log). The snapshot's index lies inside the deposed leader's stranded suffix.
    /// </summary>
    private async Task<Diverged> DivergeAsync()
    {
        var cluster = await ReplicaCluster.StartAsync(dataDirectory: _directory, checkQuorum: false, snapshots: new ReplicaCluster.SnapshotSettings(Every: 10_000, Margin: 0));
        try
        {
            var deposed = await cluster.WaitForLeaderAsync();
            for (var i = 0; i < 5; i++)
            {
                await deposed.ProposeAsync(ReplicaCluster.Put($"before{i}", $"b{i}"));
            }

            var committed = deposed.AppliedIndex;
            await WaitUntilAsync(() => cluster.Replicas.Values.All(r => r.AppliedIndex >= committed), "every replica to apply the first writes");
            var deposedTerm = deposed.Term;
            cluster.Network.Isolate(deposed.NodeId);
            var stranded = new Task[StrandedCount];
            for (var i = 0; i < stranded.Length; i++)
            {
                stranded[i] = deposed.ProposeAsync(ReplicaCluster.Put($"stranded{i}", "lost"));
            }

            var deposedStore = cluster.Stores[deposed.NodeId];
            await WaitUntilAsync(() => deposedStore.LastIndex >= committed + StrandedCount, "the isolated leader to persist its stranded entries");

            RaftReplica? leader = null;
            await WaitUntilAsync(
                () => (leader = cluster.Replicas.Values.FirstOrDefault(r => r.NodeId != deposed.NodeId && r.Role == RaftRole.Leader && r.Term > deposedTerm)) is not null,
                "the other two to elect a leader");
            for (var i = 0; i < 10; i++)
            {
                await leader!.ProposeAsync(ReplicaCluster.Put($"after{i}", $"a{i}"));
            }

            var snapshot = await leader!.SnapshotAsync();
            Assert.True(deposedStore.TryGetTerm(snapshot.Index, out var there) && there == deposedTerm && there != snapshot.Term,
                $"the snapshot ({snapshot.Index}@{snapshot.Term}) must land in the stranded suffix ({committed + 1}..{deposedStore.LastIndex}@{deposedTerm})");
            Assert.True(deposedStore.LastIndex > snapshot.Index, "the stranded suffix must reach past the snapshot");
            return new Diverged(cluster, deposed.NodeId, deposedTerm, leader, snapshot, stranded);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private static void AssertHoldsTheGroupsWrites(KvStateMachine state)
    {
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal($"b{i}", state.Get($"before{i}"));
        }

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal($"a{i}", state.Get($"after{i}"));
        }

        for (var i = 0; i < StrandedCount; i++)
        {
            Assert.Null(state.Get($"stranded{i}"));
        }
    }

    /// <summary>The stranded proposals never commit: each ends unknown (stopped or timed out) or dropped, never with a result.</summary>
    private static async Task AssertStrandedProposalsFailedAsync(Task[] stranded)
    {
        foreach (var proposal in stranded)
        {
            var error = await Record.ExceptionAsync(() => proposal);
            Assert.True(error is UnknownOutcomeException or CommandDroppedException or NotLeaderException, $"a stranded proposal ended with {error?.GetType().Name ?? "a result"}");
        }
    }

    /// <summary>Copies the latest snapshot of one store into another, as a completed transfer would have published it.</summary>
    private static async Task CopyLatestSnapshotAsync(ISnapshotStore from, ISnapshotStore to)
    {
        var source = (await from.GetLatestAsync())!;
        await using var frames = await from.OpenFramesAsync(source);
        await using var incoming = await to.OpenIncomingAsync(source.Id);
        await incoming.Receiver.AppendAsync(frames.HeaderBytes);
        while (!frames.IsAtEnd)
        {
            await incoming.Receiver.AppendAsync(await frames.ReadFrameAsync());
        }

        await incoming.Receiver.FlushAsync();
        await incoming.PublishAsync();
    }

    private string NodeDirectory(ulong id) => Path.Combine(_directory, $"node-{id}");

    private sealed record Diverged(ReplicaCluster Cluster, ulong Deposed, ulong DeposedTerm, RaftReplica Leader, SnapshotMetadata Snapshot, Task[] Stranded);
}
