using Akka.Coordination;
using Raft.Actors.Services;
using Raft.Akka.Coordination;

namespace Raft.Akka.Tests.Coordination;

public sealed class LeaseCluster : IAsyncLifetime
{
    public const string Hocon = """
        akka.coordination.lease.raft {
          heartbeat-timeout = 3s
          heartbeat-interval = 300ms
          lease-operation-timeout = 15s
        }
        """;

    public AkkaRaftCluster Cluster { get; } = new(extraHocon: Hocon);

    public Task InitializeAsync() => Cluster.StartAsync();

    public Task DisposeAsync() => Cluster.DisposeAsync().AsTask();
}

public sealed class RaftLeaseTests(LeaseCluster fixture) : IClassFixture<LeaseCluster>
{
    private const string ConfigPath = "akka.coordination.lease.raft";
    private readonly string _name = "lease-" + Guid.NewGuid().ToString("N");

    [Fact(Timeout = 60_000)]
    public async Task A_lease_is_acquired_checked_and_released()
    {
        var lease = Lease(0, "owner-a");
        Assert.IsType<RaftLease>(lease);
        Assert.False(lease.CheckLease());
        Assert.True(await lease.Acquire());
        Assert.True(lease.CheckLease());
        Assert.True(await lease.Acquire(), "acquiring a held lease again succeeds");
        Assert.True(await lease.Release());
        Assert.False(lease.CheckLease());
        Assert.False(await lease.Release(), "a lease not held is not released");
    }

    [Fact(Timeout = 60_000)]
    public async Task Another_owner_is_refused_while_the_lease_is_held_and_gets_it_after_release_with_a_higher_fencing_token()
    {
        var a = (RaftLease)Lease(0, "owner-a");
        var b = (RaftLease)Lease(1, "owner-b");
        Assert.True(await a.Acquire());
        var first = a.FencingToken;
        Assert.False(await b.Acquire());
        Assert.False(b.CheckLease());

        Assert.True(await a.Release());
        Assert.True(await b.Acquire());
        Assert.True(b.FencingToken > first);
        Assert.False(await a.Acquire());
        Assert.True(await b.Release());
    }

    [Fact(Timeout = 60_000)]
    public async Task A_holder_whose_lock_is_taken_over_is_told_through_the_lease_lost_callback()
    {
        var a = Lease(0, "owner-a");
        var lost = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True(await a.Acquire(ex => lost.TrySetResult(ex)));

        // Another owner whose clock runs ten minutes ahead sees the lease over and takes the lock;
        // the holder's next renewal is refused.
        var lockName = RaftLease.LockPrefix + _name;
        var raft = fixture.Cluster.Raft(2);
        var skewed = new RaftServices(raft.ServicesFor(lockName).Group, new SkewedClock(TimeSpan.FromMinutes(10)));
        var intruder = await skewed.GetLock(lockName, new DistributedLockOptions { Owner = "intruder", AutoRenew = false }).TryAcquireAsync();
        Assert.NotNull(intruder);

        var error = await lost.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.IsType<LeaseException>(error);
        Assert.False(a.CheckLease());
    }

    private Lease Lease(int node, string owner) =>
        LeaseProvider.Get(fixture.Cluster[node]).GetLease(_name, ConfigPath, owner);

    private sealed class SkewedClock(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + offset;
    }
}

public sealed class RaftLeaseExpiryTests
{
    [Fact(Timeout = 90_000)]
    public async Task A_holder_cut_off_from_the_quorum_loses_the_lease_when_it_runs_out_and_is_told()
    {
        await using var cluster = new AkkaRaftCluster(extraHocon: LeaseCluster.Hocon);
        await cluster.StartAsync();
        var lease = LeaseProvider.Get(cluster[0]).GetLease("expiring", "akka.coordination.lease.raft", "owner-a");
        var lost = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True(await lease.Acquire(ex => lost.TrySetResult(ex)));

        await cluster.StopAsync(1);
        await cluster.StopAsync(2);

        // heartbeat-timeout is 3 s: renewals get no quorum, and the holder gives up when its lease ends.
        await lost.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.False(lease.CheckLease());
    }
}
