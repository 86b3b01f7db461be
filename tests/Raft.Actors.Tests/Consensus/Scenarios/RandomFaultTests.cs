using Xunit;

namespace Raft.Actors.Tests.Consensus.Scenarios;

/// <summary>
/// Seeded runs mixing every fault the network has — loss, delay and reordering, duplicates,
/// partitions, restarts, crashes with a write in flight, writes that complete while messages
/// keep arriving, forced elections — with client proposals. Election and state-machine safety
/// are checked after every step; after healing, every node must converge on one log. A failure
/// names its seed; <c>RAFT_SCENARIO_SEEDS</c> runs more of them.
/// </summary>
public sealed class RandomFaultTests
{
    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void Random_faults_keep_safety_and_the_cluster_converges_after_healing(int size)
    {
        var seeds = int.TryParse(Environment.GetEnvironmentVariable("RAFT_SCENARIO_SEEDS"), out var n) ? n : 10;
        for (var seed = 1; seed <= seeds; seed++)
        {
            Run(size, seed);
        }
    }

    private static void Run(int size, int seed)
    {
        var rng = new Random(seed);
        var options = new ScenarioOptions
        {
            PreVote = rng.Next(2) == 0,
            CheckQuorum = rng.Next(2) == 0,
            MaxInflightMessages = 1 + rng.Next(4),
            MaxEntriesPerMessage = 1 + rng.Next(3),
        };
        var net = new ScenarioNetwork(size, options, seed)
        {
            AsyncWrites = rng.Next(2) == 0 ? new Random(seed + 2) : null,
        };
        var faultRng = new Random(seed + 1);
        net.Drop(_ => faultRng.NextDouble() < 0.05);
        net.Hold(_ => faultRng.NextDouble() < 0.05);
        var cuts = new List<IDisposable>();
        var ids = net.Ids.ToArray();
        net.BeforeDeliveryStep = () =>
        {
            // Now and then a node crashes with a write in flight.
            if (faultRng.NextDouble() < 0.01 && ids.Where(net.IsWriting).ToArray() is { Length: > 0 } writing)
            {
                net.Restart(writing[faultRng.Next(writing.Length)]);
            }
        };
        var commands = 0;

        try
        {
            for (var step = 0; step < 1500; step++)
            {
                var roll = rng.Next(100);
                var id = ids[rng.Next(ids.Length)];
                if (roll < 50)
                {
                    net.TickAll();
                }
                else if (roll < 70)
                {
                    if (net.Leader is { } leader)
                    {
                        net.Propose(leader, $"c{commands++}");
                        net.Deliver();
                    }
                }
                else if (roll < 78)
                {
                    net.Release(_ => rng.Next(2) == 0);
                    net.Deliver();
                }
                else if (roll < 82 && net.Sent.Count > 0)
                {
                    net.Inject(net.Sent[rng.Next(Math.Max(0, net.Sent.Count - 50), net.Sent.Count)]);
                    net.Deliver();
                }
                else if (roll < 86)
                {
                    cuts.Add(net.Cut(id, ids[rng.Next(ids.Length)]));
                }
                else if (roll < 90 && cuts.Count > 0)
                {
                    var i = rng.Next(cuts.Count);
                    cuts[i].Dispose();
                    cuts.RemoveAt(i);
                }
                else if (roll < 92 && net.IsRunning(id))
                {
                    net.Restart(id);
                }
                else if (roll < 97 && net.IsRunning(id))
                {
                    net.Campaign(id);
                    net.Deliver();
                }
                else if (roll < 99 && net.IsRunning(id))
                {
                    net.Propose(id, $"c{commands++}");
                    if (net.Node(id).HasReady)
                    {
                        net.CrashBeforePersist(id);
                        net.Start(id);
                    }
                }

                net.AssertSafe();
            }

            net.BeforeDeliveryStep = null;
            net.Heal();
            net.Release();
            net.Deliver();
            var final = net.StableLeaderWithin(electionTimeouts: 20);
            var last = net.Propose(final, "final");
            net.TickAll(3);
            net.AssertSafe();

            foreach (var id in ids)
            {
                Assert.Equal(net.LogOf(final), net.LogOf(id));
                Assert.Equal(last.Index, net.Node(id).CommitIndex);
                Assert.Equal(net.AppliedCommands(final), net.AppliedCommands(id));
            }
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException($"seed {seed}, size {size}, {options}, async writes {net.AsyncWrites is not null}: {ex.Message}{Environment.NewLine}{net}", ex);
        }
    }
}
