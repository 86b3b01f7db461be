using Microsoft.Extensions.Time.Testing;
using Raft.Actors.Services;
using Raft.Actors.Tests.Runtime;
using Raft.Actors.Tests.Storage;
using Xunit;

namespace Raft.Actors.Tests.Services;

/// <summary>The services through real replicas: leader changes, stopped leaders, restarts from disk.</summary>
public sealed class ServiceClusterTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);
    private static readonly ReplicaGroupClientOptions s_client = new() { Timeout = TimeSpan.FromSeconds(20), AttemptTimeout = TimeSpan.FromSeconds(2) };

    [Fact]
    public async Task Kv_writes_through_the_leader_are_read_alike_on_every_replica()
    {
        await using var cluster = await StartAsync();
        var kv = Services(cluster).Kv;

        await kv.PutStringAsync("user/1", "ada");
        await kv.PutStringAsync("user/2", "grace");
        Assert.Null(await kv.PutIfAbsentAsync("user/3", ReplicatedKvTests.Bytes("edsger")));
        Assert.True(await kv.CompareAndPutAsync("user/1", ReplicatedKvTests.Bytes("ada"), ReplicatedKvTests.Bytes("ada l.")));
        Assert.False((await kv.BatchAsync([KvOperation.Delete("user/2"), KvOperation.CompareAndPut("user/3", null, ReplicatedKvTests.Bytes("x"))])).Applied);
        Assert.True(await kv.DeleteAsync("user/3"));

        foreach (var id in cluster.Replicas.Keys)
        {
            // A client that knows only this replica: a follower answers through the leader's read index.
            var only = new RaftServices(new ReplicaGroupClient(cluster.Group, n => n == id ? cluster.Find(n) : null, [id], s_client)).Kv;
            var entries = await only.ScanPrefixAsync("user/");
            Assert.Equal(["user/1", "user/2"], entries.Select(e => e.Key));
            Assert.Equal("ada l.", await only.GetStringAsync("user/1"));
        }
    }

    [Fact]
    public async Task After_a_leader_change_an_expired_lock_is_taken_over_and_only_the_new_holders_fenced_writes_apply()
    {
        await using var cluster = await StartAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var services = Services(cluster, time);
        var options = new DistributedLockOptions { Lease = TimeSpan.FromSeconds(10), AutoRenew = false };
        var old = await services.GetLock("job", options).TryAcquireAsync();
        Assert.NotNull(old);
        await services.Kv.PutStringAsync("output", "old holder", old.Fence);
        var contender = services.GetLock("job", options);
        Assert.Null(await contender.TryAcquireAsync());

        await cluster.StopReplicaAsync((await cluster.WaitForLeaderAsync()).NodeId);
        time.Advance(options.Lease);
        var current = await contender.TryAcquireAsync();

        Assert.NotNull(current);
        Assert.Equal(old.Token + 1, current.Token);
        Assert.True(old.LostToken.IsCancellationRequested);
        var refused = await Assert.ThrowsAsync<FencingTokenRejectedException>(() => services.Kv.PutStringAsync("output", "stale", old.Fence));
        Assert.Equal(current.Token, refused.LatestToken);
        await services.Kv.PutStringAsync("output", "new holder", current.Fence);
        Assert.Equal("new holder", await services.Kv.GetStringAsync("output"));
        Assert.Equal(new LockState("job", contender.Owner, current.Token, 1, time.GetUtcNow() + options.Lease), await contender.GetStateAsync());
    }

    [Fact]
    public async Task An_auto_renewed_lock_outlives_many_leases_until_it_is_released()
    {
        await using var cluster = await StartAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var services = Services(cluster, time);
        var options = new DistributedLockOptions { Lease = TimeSpan.FromSeconds(9), RenewInterval = TimeSpan.FromSeconds(3) };
        var held = await services.GetLock("job", options).TryAcquireAsync();
        Assert.NotNull(held);
        var contender = services.GetLock("job", new DistributedLockOptions { Lease = TimeSpan.FromSeconds(9), AutoRenew = false });

        for (var i = 0; i < 8; i++)
        {
            time.Advance(TimeSpan.FromSeconds(3));
            await WaitUntilAsync(() => held.ExpiresAt == time.GetUtcNow() + options.Lease, "a renewal");
        }

        Assert.Null(await contender.TryAcquireAsync());
        Assert.True(held.IsHeld);
        await held.DisposeAsync();
        Assert.Equal(held.Token + 1, (await contender.TryAcquireAsync())?.Token);
    }

    [Fact]
    public async Task Concurrent_callers_get_disjoint_ranges_that_together_cover_every_number_once()
    {
        await using var cluster = await StartAsync();
        var sequence = Services(cluster).GetSequence("ids");

        var callers = Enumerable.Range(0, 8).Select(async caller =>
        {
            var ranges = new List<SequenceRange>();
            for (var i = 0; i < 20; i++)
            {
                ranges.Add(await sequence.NextAsync(1 + ((caller + i) % 4)));
            }

            return ranges;
        });
        var all = (await Task.WhenAll(callers)).SelectMany(r => r).OrderBy(r => r.Start).ToList();

        AssertContiguousFromZero(all);
        Assert.Equal(all[^1].End, await sequence.GetCurrentAsync());
    }

    [Fact]
    public async Task A_sequence_keeps_counting_up_while_its_leaders_are_stopped_one_after_another()
    {
        await using var cluster = await StartAsync();
        var sequence = Services(cluster).GetSequence("ids");
        var ranges = new List<SequenceRange>();
        using var stop = new CancellationTokenSource();
        var caller = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var range = await sequence.NextAsync(3);
                lock (ranges)
                {
                    ranges.Add(range);
                }
            }
        });

        for (var change = 0; change < 2; change++)
        {
            var before = Count(ranges) + 10;
            await WaitUntilAsync(() => Count(ranges) > before, "ranges before the leader is stopped");
            var leader = (await cluster.WaitForLeaderAsync()).NodeId;
            await cluster.StopReplicaAsync(leader);
            await cluster.WaitForLeaderAsync();
            await cluster.StartReplicaAsync(leader);
        }

        var after = Count(ranges) + 10;
        await WaitUntilAsync(() => Count(ranges) > after, "ranges after the last leader change");
        await stop.CancelAsync();
        await caller;

        // One caller, one call at a time: each range starts where the last ended, so no number
        // was handed out twice and no retried call applied twice.
        AssertContiguousFromZero(ranges);
        Assert.Equal(ranges[^1].End, await sequence.GetCurrentAsync());
    }

    [Fact]
    public async Task Sequences_locks_and_keys_survive_a_whole_cluster_restart_from_snapshots_and_logs_on_disk()
    {
        using var directory = new StorageTestDirectory("services-restart");
        var snapshots = new ReplicaCluster.SnapshotSettings(Every: 1_000, Margin: 2);
        var ranges = new List<SequenceRange>();
        long firstToken;
        await using (var cluster = await StartAsync(directory.Path, snapshots))
        {
            var services = Services(cluster);
            for (var i = 0; i < 10; i++)
            {
                ranges.Add(await services.GetSequence("ids").NextAsync(5));
            }

            var handle = await services.GetLock("job", new DistributedLockOptions { AutoRenew = false }).TryAcquireAsync();
            firstToken = handle!.Token;
            await services.Kv.PutStringAsync("k", "v", handle.Fence);
            Assert.True(await handle.ReleaseAsync());
            foreach (var replica in cluster.Replicas.Values)
            {
                await replica.SnapshotAsync();
            }

            // Entries after the snapshot: a restart restores the snapshot and replays these.
            for (var i = 0; i < 5; i++)
            {
                ranges.Add(await services.GetSequence("ids").NextAsync(5));
            }
        }

        await using var restarted = await StartAsync(directory.Path, snapshots);
        foreach (var store in restarted.SnapshotStores.Values)
        {
            Assert.NotNull(await store.GetLatestAsync());
        }

        var again = Services(restarted);
        Assert.Equal(ranges[^1].End, await again.GetSequence("ids").GetCurrentAsync());
        for (var i = 0; i < 5; i++)
        {
            ranges.Add(await again.GetSequence("ids").NextAsync(5));
        }

        AssertContiguousFromZero(ranges);
        Assert.Equal("v", await again.Kv.GetStringAsync("k"));
        await using var takenAgain = await again.GetLock("job").TryAcquireAsync();
        Assert.Equal(firstToken + 1, takenAgain?.Token);
    }

    private static Task<ReplicaCluster> StartAsync(string? dataDirectory = null, ReplicaCluster.SnapshotSettings? snapshots = null) =>
        ReplicaCluster.StartAsync(stateMachine: () => new ServiceStateMachine(), dataDirectory: dataDirectory, snapshots: snapshots);

    private static RaftServices Services(ReplicaCluster cluster, TimeProvider? time = null) =>
        new(new ReplicaGroupClient(cluster.Group, cluster.Find, [.. cluster.Replicas.Keys], s_client), time);

    private static int Count(List<SequenceRange> ranges)
    {
        lock (ranges)
        {
            return ranges.Count;
        }
    }

    private static void AssertContiguousFromZero(IReadOnlyList<SequenceRange> ranges)
    {
        var next = 0L;
        foreach (var range in ranges)
        {
            Assert.True(range.Start == next && range.Count > 0, $"range [{range.Start}, {range.End}) after {next}");
            next = range.End;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(s_wait);
        while (!condition())
        {
            try
            {
                await Task.Delay(5, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Waited {s_wait} for {what}.");
            }
        }
    }
}
