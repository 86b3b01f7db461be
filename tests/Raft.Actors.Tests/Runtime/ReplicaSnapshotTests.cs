using System.Diagnostics;
using Raft.Actors.Runtime;
using Raft.Actors.StateMachines;
using Xunit;

namespace Raft.Actors.Tests.Runtime;

public sealed class ReplicaSnapshotTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_follower_behind_the_compacted_log_catches_up_through_a_snapshot_and_serves_every_acknowledged_write(bool onDisk)
    {
        var directory = onDisk ? Directory.CreateTempSubdirectory("raft-rsnap-").FullName : null;
        try
        {
            await using var cluster = await ReplicaCluster.StartAsync(dataDirectory: directory, snapshots: new ReplicaCluster.SnapshotSettings(Every: 40, Margin: 10));
            var leader = await cluster.WaitForLeaderAsync();
            var lagging = cluster.AnyFollower(leader).NodeId;
            await cluster.StopReplicaAsync(lagging);
            var behindAt = cluster.Stores[lagging].LastIndex;

            var written = await WriteAsync(leader, 150);
            await WaitUntilAsync(() => cluster.Stores[leader.NodeId].CompactedIndex > behindAt, "the leader to compact past the stopped follower's log");

            await cluster.StartReplicaAsync(lagging);
            var follower = cluster.Replicas[lagging];
            await WaitUntilAsync(() => follower.AppliedIndex >= leader.AppliedIndex, "the restarted follower to catch up");

            Assert.True(leader.SnapshotTransfersStarted >= 1);
            var installed = await cluster.SnapshotStores[lagging].GetLatestAsync();
            Assert.NotNull(installed);
            Assert.Equal(installed.Id.Index + 1, cluster.Stores[lagging].FirstIndex);
            var reads = written.Select(w => follower.ReadAsync(ReplicaCluster.Get(w.Key))).ToArray();
            var values = await Task.WhenAll(reads);
            for (var i = 0; i < written.Count; i++)
            {
                Assert.Equal(written[i].Value, KvResult.ReadValue(values[i].Span));
            }
        }
        finally
        {
            if (directory is not null)
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [Fact]
    public async Task A_restarted_replica_restores_its_state_machine_from_its_latest_snapshot()
    {
        await using var cluster = await ReplicaCluster.StartAsync(snapshots: new ReplicaCluster.SnapshotSettings(Every: 1_000, Margin: 5));
        var leader = await cluster.WaitForLeaderAsync();
        var written = await WriteAsync(leader, 60);
        var id = cluster.AnyFollower(leader).NodeId;
        var replica = cluster.Replicas[id];
        await WaitUntilAsync(() => replica.AppliedIndex >= leader.AppliedIndex, "the follower to apply every write");

        var snapshot = await replica.SnapshotAsync();
        await cluster.StopReplicaAsync(id);
        foreach (var other in cluster.Replicas.Keys)
        {
            cluster.Network.Cut(id, other);
            cluster.Network.Cut(other, id);
        }

        await cluster.StartReplicaAsync(id);
        var restartedAt = cluster.Replicas[id].AppliedIndex;
        await cluster.StopReplicaAsync(id);

        // The log alone could not rebuild the first writes: they were compacted behind the snapshot.
        Assert.True(cluster.Stores[id].FirstIndex > 2, $"first index {cluster.Stores[id].FirstIndex}");
        Assert.True(restartedAt >= snapshot.Index, $"applied {restartedAt} after the restart, snapshot {snapshot.Index}");
        var state = (KvStateMachine)cluster.StateMachines[id];
        Assert.Equal(written.Count, state.Count);
        foreach (var (key, value) in written)
        {
            Assert.Equal(value, state.Get(key));
        }
    }

    [Fact]
    public async Task A_repeated_snapshot_message_joins_the_running_transfer_which_completes()
    {
        await using var cluster = await ReplicaCluster.StartAsync(snapshots: new ReplicaCluster.SnapshotSettings(Every: 40, Margin: 10, PartTimeout: TimeSpan.FromSeconds(2)));
        var leader = await cluster.WaitForLeaderAsync();
        var lagging = cluster.AnyFollower(leader).NodeId;
        await cluster.StopReplicaAsync(lagging);
        var behindAt = cluster.Stores[lagging].LastIndex;
        await WriteAsync(leader, 120);
        await WaitUntilAsync(() => cluster.Stores[leader.NodeId].CompactedIndex > behindAt, "the leader to compact past the stopped follower's log");

        // Once the first part is out, the follower's answers are lost: the transfer stays running, waiting, until the link heals.
        var sending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        leader.SnapshotPartSent = (to, _) =>
        {
            if (to == lagging && sending.TrySetResult())
            {
                cluster.Network.Cut(lagging, leader.NodeId);
            }
        };
        await cluster.StartReplicaAsync(lagging);
        await sending.Task.WaitAsync(s_bound);
        leader.RepeatSnapshotMessage(lagging);
        leader.RepeatSnapshotMessage(lagging);
        await leader.GetStatusAsync(); // the mailbox is ordered: the repeats were handled before this answers

        // The running transfer cannot have finished (no answer got through), so a second one would show here.
        Assert.Equal(1, leader.SnapshotTransfersStarted);
        cluster.Network.Heal();

        var follower = cluster.Replicas[lagging];
        await WaitUntilAsync(() => follower.AppliedIndex >= leader.AppliedIndex, "the follower to install the snapshot and catch up");
        var installed = await cluster.SnapshotStores[lagging].GetLatestAsync();
        Assert.Equal(installed!.Id.Index + 1, cluster.Stores[lagging].FirstIndex);
    }

    [Fact]
    public async Task A_follower_that_crashed_mid_transfer_resumes_from_its_last_durable_part()
    {
        const long cutAtPart = 6;
        await using var cluster = await ReplicaCluster.StartAsync(snapshots: new ReplicaCluster.SnapshotSettings(Every: 40, Margin: 10, PartTimeout: TimeSpan.FromSeconds(2)));
        var leader = await cluster.WaitForLeaderAsync();
        var lagging = cluster.AnyFollower(leader).NodeId;
        await cluster.StopReplicaAsync(lagging);
        var behindAt = cluster.Stores[lagging].LastIndex;

        // Values that do not compress away, so the snapshot spans many 256-byte chunks.
        var random = new Random(7);
        for (var i = 0; i < 120; i++)
        {
            await leader.ProposeAsync(ReplicaCluster.Put($"k{i}", Convert.ToHexString(RandomBytes(random, 40))));
        }

        await WaitUntilAsync(() => cluster.Stores[leader.NodeId].CompactedIndex > behindAt, "the leader to compact past the stopped follower's log");

        var cut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var afterRestart = new List<long>();
        var restarted = false;
        leader.SnapshotPartSent = (to, part) =>
        {
            if (to != lagging)
            {
                return;
            }

            lock (afterRestart)
            {
                if (restarted)
                {
                    afterRestart.Add(part);
                }
                else if (part == cutAtPart)
                {
                    cluster.Network.Cut(leader.NodeId, lagging);
                    cut.TrySetResult();
                }
            }
        };

        await cluster.StartReplicaAsync(lagging);
        await cut.Task.WaitAsync(s_bound);
        await cluster.StopReplicaAsync(lagging);

        // What the crashed follower kept: its durable prefix, where the leader must resume.
        var incomingIds = await cluster.SnapshotStores[lagging].ListIncomingAsync();
        long resumeAt;
        await using (var incoming = await cluster.SnapshotStores[lagging].OpenIncomingAsync(Assert.Single(incomingIds)))
        {
            resumeAt = incoming.Receiver.NextChunk;
        }

        Assert.True(resumeAt > 0, "the follower kept no part before the crash");
        lock (afterRestart)
        {
            restarted = true;
        }

        cluster.Network.Heal();
        await cluster.StartReplicaAsync(lagging);
        var follower = cluster.Replicas[lagging];
        await WaitUntilAsync(() => follower.AppliedIndex >= leader.AppliedIndex, "the follower to finish the snapshot and catch up");

        lock (afterRestart)
        {
            Assert.NotEmpty(afterRestart);
            Assert.Equal(resumeAt, afterRestart.Min());
        }

        var installed = await cluster.SnapshotStores[lagging].GetLatestAsync();
        Assert.Equal(installed!.Id.Index + 1, cluster.Stores[lagging].FirstIndex);
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static async Task<List<(string Key, string Value)>> WriteAsync(RaftReplica leader, int count)
    {
        var written = new List<(string Key, string Value)>(count);
        for (var i = 0; i < count; i++)
        {
            var (key, value) = ($"k{i}", $"v{i}");
            await leader.ProposeAsync(ReplicaCluster.Put(key, value));
            written.Add((key, value));
        }

        return written;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > s_bound)
            {
                throw new TimeoutException($"Gave up waiting for {what}.");
            }

            await Task.Delay(10);
        }
    }
}
