using Akka.Actor;
using Akka.Persistence;

namespace Raft.Akka.Tests.Persistence;

public sealed class PersistentActorReplicationTests
{
    private static readonly TimeSpan s_ask = TimeSpan.FromSeconds(20);

    [Fact(Timeout = 120_000)]
    public async Task A_persistent_actors_acknowledged_events_survive_terminating_and_restarting_nodes()
    {
        await using var cluster = new AkkaRaftCluster(extraHocon: PersistenceCluster.Hocon);
        await cluster.StartAsync();
        var acknowledged = new List<int>();
        var ledger = cluster[0].ActorOf(Props.Create(() => new Ledger("ledger-1")));

        async Task WriteAsync(int from, int to)
        {
            for (var i = from; i < to; i++)
            {
                acknowledged.Add(await ledger.Ask<int>(new Ledger.Add(i), s_ask));
            }
        }

        await WriteAsync(0, 20);
        await cluster.StopAsync(2);               // a follower or a leader: either way two remain
        await WriteAsync(20, 40);
        await cluster.StartAsync(2);
        await WriteAsync(40, 60);

        // The actor's own node goes away; the actor comes back on another node and replays.
        await cluster.StopAsync(0);
        var moved = cluster[1].ActorOf(Props.Create(() => new Ledger("ledger-1")));
        Assert.Equal(acknowledged, await moved.Ask<int[]>(Ledger.Get.Instance, s_ask));
        Assert.Equal(60, await moved.Ask<int>(new Ledger.Add(60), s_ask));
        acknowledged.Add(60);

        // And once more on the restarted node, which must have caught up.
        await cluster.StartAsync(0);
        await cluster.StopAsync(1);
        var back = cluster[0].ActorOf(Props.Create(() => new Ledger("ledger-1")));
        Assert.Equal(acknowledged, await back.Ask<int[]>(Ledger.Get.Instance, s_ask));
    }

    /// <summary>Persists each number it is given and acknowledges it once stored.</summary>
    private sealed class Ledger : ReceivePersistentActor
    {
        private readonly List<int> _numbers = [];

        public Ledger(string persistenceId)
        {
            PersistenceId = persistenceId;
            Recover<int>(_numbers.Add);
            Command<Add>(add => Persist(add.Number, n =>
            {
                _numbers.Add(n);
                Sender.Tell(n);
            }));
            Command<Get>(_ => Sender.Tell(_numbers.ToArray()));
        }

        public override string PersistenceId { get; }

        public sealed record Add(int Number);

        public sealed class Get
        {
            public static readonly Get Instance = new();
        }
    }
}
