using System.Diagnostics;
using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Runtime;
using Raft.Actors.Snapshots;
using Raft.Actors.StateMachines;
using Raft.Actors.Storage;
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
            // A snapshot of everything written: no later one replaces it while the follower receives it.
            await leader.SnapshotAsync();
            Assert.True(cluster.Stores[leader.NodeId].CompactedIndex > behindAt, "the leader did not compact past the stopped follower's log");

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
    public async Task A_follower_that_crashed_between_receiving_a_snapshot_and_installing_it_finishes_the_install_on_restart()
    {
        await using var cluster = await ReplicaCluster.StartAsync(snapshots: new ReplicaCluster.SnapshotSettings(Every: 1_000, Margin: 10));
        var leader = await cluster.WaitForLeaderAsync();
        var lagging = cluster.AnyFollower(leader).NodeId;
        await cluster.StopReplicaAsync(lagging);
        var written = await WriteAsync(leader, 60);
        var snapshot = await leader.SnapshotAsync();

        // What the follower's intake leaves when it crashes right after publishing the received snapshot.
        var source = (await cluster.SnapshotStores[leader.NodeId].GetLatestAsync())!;
        await using (var frames = await cluster.SnapshotStores[leader.NodeId].OpenFramesAsync(source))
        await using (var incoming = await cluster.SnapshotStores[lagging].OpenIncomingAsync(source.Id))
        {
            await incoming.Receiver.AppendAsync(frames.HeaderBytes);
            while (!frames.IsAtEnd)
            {
                await incoming.Receiver.AppendAsync(await frames.ReadFrameAsync());
            }

            await incoming.Receiver.FlushAsync();
            await incoming.PublishAsync();
        }

        foreach (var other in cluster.Replicas.Keys)
        {
            cluster.Network.Cut(lagging, other);
            cluster.Network.Cut(other, lagging);
        }

        await cluster.StartReplicaAsync(lagging);
        var restarted = cluster.Replicas[lagging];
        var appliedAtStart = restarted.AppliedIndex;
        await cluster.StopReplicaAsync(lagging);

        Assert.Null(restarted.Fault);
        Assert.True(appliedAtStart >= snapshot.Index, $"applied {appliedAtStart}, snapshot {snapshot.Index}");
        Assert.Equal(snapshot.Index + 1, cluster.Stores[lagging].FirstIndex);
        var state = (KvStateMachine)cluster.StateMachines[lagging];
        Assert.Equal(written.Count, state.Count);
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
        // A snapshot of everything written: no later one replaces it while the follower receives it.
        await leader.SnapshotAsync();
        Assert.True(cluster.Stores[leader.NodeId].CompactedIndex > behindAt, "the leader did not compact past the stopped follower's log");

        // Once the first part is out, the follower's answers are lost: the transfer stays running, waiting, until the link heals.
        var sending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var partsSent = 0;
        leader.SnapshotPartSent = (to, _) =>
        {
            Interlocked.Increment(ref partsSent);
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

        // Once the first transfer ended, the same snapshot again is a new transfer that finds the follower holding all of it.
        // (The core itself may have sent it once more meanwhile, if an append crossed the install: counts are relative.)
        await WaitUntilAsync(() => leader.SnapshotTransfersSucceeded >= 1, "the joined transfer to report success");
        await leader.GetStatusAsync();
        var (startedBefore, succeededBefore, partsBefore) = (leader.SnapshotTransfersStarted, leader.SnapshotTransfersSucceeded, Volatile.Read(ref partsSent));
        leader.RepeatSnapshotMessage(lagging);
        await WaitUntilAsync(() => leader.SnapshotTransfersSucceeded > succeededBefore, "the repeated transfer to succeed");
        Assert.True(leader.SnapshotTransfersStarted > startedBefore);
        Assert.Equal(partsBefore, Volatile.Read(ref partsSent));
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

        // A snapshot of everything written: no later one replaces it while the follower receives it.
        await leader.SnapshotAsync();
        Assert.True(cluster.Stores[leader.NodeId].CompactedIndex > behindAt, "the leader did not compact past the stopped follower's log");

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

    [Fact]
    public async Task A_capped_transfer_takes_at_least_its_bytes_over_the_rate_while_the_leader_goes_on_committing()
    {
        const long rate = 3_072;
        await using var cluster = await ReplicaCluster.StartAsync(snapshots: new ReplicaCluster.SnapshotSettings(Every: 10_000, Margin: 0, TransferBytesPerSecond: rate));
        var leader = await cluster.WaitForLeaderAsync();
        var lagging = cluster.AnyFollower(leader).NodeId;
        await cluster.StopReplicaAsync(lagging);

        // Values that do not compress away: a snapshot of some 6 KB in 256-byte chunks, two seconds at the rate.
        var random = new Random(11);
        for (var i = 0; i < 40; i++)
        {
            await leader.ProposeAsync(ReplicaCluster.Put($"k{i}", Convert.ToHexString(RandomBytes(random, 64))));
        }

        await leader.SnapshotAsync();

        // What the transfer sends: the header with the first chunk, each chunk, the trailer.
        long total = 0, lastPart = 0;
        var source = (await cluster.SnapshotStores[leader.NodeId].GetLatestAsync())!;
        await using (var frames = await cluster.SnapshotStores[leader.NodeId].OpenFramesAsync(source))
        {
            total = frames.HeaderBytes.Length;
            while (!frames.IsAtEnd)
            {
                lastPart = (await frames.ReadFrameAsync()).Length;
                total += lastPart;
            }
        }

        var clock = Stopwatch.StartNew();
        var sent = new List<(long Part, TimeSpan At)>();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        leader.SnapshotPartSent = (to, part) =>
        {
            if (to == lagging)
            {
                lock (sent)
                {
                    sent.Add((part, clock.Elapsed));
                }

                started.TrySetResult();
            }
        };
        await cluster.StartReplicaAsync(lagging);
        await started.Task.WaitAsync(s_bound);

        // While the transfer waits its turns, the leader commits with the other follower.
        await leader.ProposeAsync(ReplicaCluster.Put("during", "transfer"));
        Assert.Equal(0, leader.SnapshotTransfersSucceeded);

        var follower = cluster.Replicas[lagging];
        await WaitUntilAsync(() => follower.AppliedIndex >= leader.AppliedIndex, "the follower to install the snapshot and catch up");
        Assert.True(leader.SnapshotTransfersSucceeded >= 1);
        TimeSpan first, last;
        lock (sent)
        {
            first = sent.Min(s => s.At);
            last = sent.Max(s => s.At);
        }

        // Every part but the last is paid for at the rate before the last goes. (A timer may fire
        // up to a millisecond before its due time; resent parts only add to the time.)
        var minimum = TimeSpan.FromSeconds((double)(total - lastPart) / rate) - TimeSpan.FromMilliseconds(5);
        Assert.True(last - first >= minimum, $"{total} bytes sent in {(last - first).TotalMilliseconds:F0} ms; at {rate} B/s that takes at least {minimum.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task A_failed_snapshot_write_is_reported_to_the_caller_and_the_next_one_succeeds_without_faulting_the_replica()
    {
        var network = new InMemoryNetwork();
        var snapshots = new FailingOnceSnapshotStore(new InMemorySnapshotStore());
        var logStore = new InMemoryLogStore();
        var options = new RaftReplicaOptions
        {
            Node = new RaftNodeOptions { Id = 1, Group = 7, InitialConfiguration = ConfState.OfVoters(1) },
            TickInterval = TimeSpan.FromMilliseconds(10),
            SnapshotStore = snapshots,
            CompactionMargin = 2,
        };
        await using var replica = new RaftReplica(options, logStore, new KvStateMachine(), network.TransportFor(1));
        network.Register(replica);
        await replica.StartAsync();
        await WaitUntilAsync(() => replica.Role == RaftRole.Leader, "the single replica to lead");
        await WriteAsync(replica, 10);

        await Assert.ThrowsAsync<IOException>(() => replica.SnapshotAsync());
        var taken = await replica.SnapshotAsync();

        Assert.Null(replica.Fault);
        Assert.True(taken.Index >= 10, $"snapshot at {taken.Index}");
        Assert.Equal(taken.Index - 2, logStore.CompactedIndex);
        Assert.Equal(new SnapshotId(taken.Index, taken.Term), (await snapshots.GetLatestAsync())!.Id);
    }

    [Theory]
    [InlineData(0UL, 1.0, "SnapshotEveryEntries")]
    [InlineData(10UL, 0.0, "SnapshotPartTimeout")]
    public void Invalid_snapshot_options_are_refused_at_construction_naming_the_option(ulong every, double partTimeoutSeconds, string option)
    {
        var options = new RaftReplicaOptions
        {
            Node = new RaftNodeOptions { Id = 1, Group = 7, InitialConfiguration = ConfState.OfVoters(1) },
            SnapshotEveryEntries = every,
            SnapshotPartTimeout = TimeSpan.FromSeconds(partTimeoutSeconds),
        };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains(option, error.Message, StringComparison.Ordinal);
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    internal static async Task<List<(string Key, string Value)>> WriteAsync(RaftReplica leader, int count)
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

    internal static async Task WaitUntilAsync(Func<bool> condition, string what)
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

    /// <summary>A snapshot store whose first <see cref="CreateAsync"/> fails, as a full disk would.</summary>
    private sealed class FailingOnceSnapshotStore(ISnapshotStore inner) : ISnapshotStore
    {
        private int _creates;

        public SnapshotOptions Options => inner.Options;

        public ValueTask<PendingSnapshot> CreateAsync(SnapshotMetadata metadata, CancellationToken cancellationToken = default) =>
            Interlocked.Increment(ref _creates) == 1
                ? ValueTask.FromException<PendingSnapshot>(new IOException("No space left on device (simulated)."))
                : inner.CreateAsync(metadata, cancellationToken);

        public ValueTask<IReadOnlyList<SnapshotInfo>> ListAsync(CancellationToken cancellationToken = default) => inner.ListAsync(cancellationToken);

        public ValueTask<SnapshotInfo?> GetLatestAsync(CancellationToken cancellationToken = default) => inner.GetLatestAsync(cancellationToken);

        public ValueTask<Stream> OpenAsync(SnapshotInfo snapshot, CancellationToken cancellationToken = default) => inner.OpenAsync(snapshot, cancellationToken);

        public ValueTask<SnapshotReader> OpenReaderAsync(SnapshotInfo snapshot, CancellationToken cancellationToken = default) => inner.OpenReaderAsync(snapshot, cancellationToken);

        public ValueTask<SnapshotFrameReader> OpenFramesAsync(SnapshotInfo snapshot, CancellationToken cancellationToken = default) => inner.OpenFramesAsync(snapshot, cancellationToken);

        public ValueTask<IncomingSnapshot> OpenIncomingAsync(SnapshotId id, CancellationToken cancellationToken = default) => inner.OpenIncomingAsync(id, cancellationToken);

        public ValueTask<IReadOnlyList<SnapshotId>> ListIncomingAsync(CancellationToken cancellationToken = default) => inner.ListIncomingAsync(cancellationToken);

        public ValueTask DeleteIncomingAsync(SnapshotId id, CancellationToken cancellationToken = default) => inner.DeleteIncomingAsync(id, cancellationToken);
    }
}
