using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Cluster.Tools.Singleton;
using Raft.Akka.Coordination;

namespace Raft.Akka.Tests.Coordination;

public sealed class SingletonLeaseTests
{
    private static readonly ConcurrentQueue<string> s_started = new();

    [Fact(Timeout = 90_000)]
    public async Task A_cluster_singleton_with_use_lease_runs_once_it_holds_the_raft_lease()
    {
        await using var cluster = new AkkaRaftCluster(extraHocon: LeaseCluster.Hocon + """
            akka.actor.provider = cluster
            akka.cluster.singleton.use-lease = "akka.coordination.lease.raft"
            akka.cluster.singleton.lease-retry-interval = 200ms
            akka.cluster.min-nr-of-members = 1
            """);
        cluster.ExtraHocon += $"\nakka.cluster.seed-nodes = [\"{cluster.AddressOf(0)}\"]";
        await cluster.StartAsync();

        var tag = Guid.NewGuid().ToString("N");
        for (var i = 0; i < cluster.Count; i++)
        {
            cluster[i].ActorOf(
                ClusterSingletonManager.Props(Props.Create(() => new Singleton(tag)), PoisonPill.Instance, ClusterSingletonManagerSettings.Create(cluster[i])),
                "singleton");
        }

        await Eventually.TrueAsync(() => s_started.Contains(tag), TimeSpan.FromSeconds(40), "the singleton starts");

        // It started under the Raft lease of the oldest node (the seed node, which joined first).
        var leaseName = $"{cluster.SystemName}-singleton-akka://{cluster.SystemName}/user/singleton";
        var lockName = RaftLease.LockPrefix + leaseName;
        var state = await cluster.Raft(1).ServicesFor(lockName).GetLock(lockName).GetStateAsync();
        Assert.NotNull(state);
        Assert.Equal(cluster.AddressOf(0)["akka.tcp://".Length..], state.Owner);
        Assert.True(state.IsHeldAt(DateTimeOffset.UtcNow));
        Assert.Single(s_started, tag);
    }

    private sealed class Singleton : ReceiveActor
    {
        public Singleton(string tag)
        {
            s_started.Enqueue(tag);
            ReceiveAny(_ => { });
        }
    }
}
