using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Xunit;

namespace Raft.Actors.Tests.Consensus.Scenarios;

/// <summary>PITFALLS row 16: a follower whose Appends or answers were all lost must catch up once the network heals.</summary>
public sealed class FlowControlRecoveryTests
{
    private const int Window = 2;

    public static TheoryData<string> Faults => ["isolated", "appends lost", "answers lost"];

    // The follower is replicating when the fault starts: the leader streams Appends until its
    // inflight window is full, then waits for answers that never come.
    [Theory]
    [MemberData(nameof(Faults))]
    public void Replication_resumes_after_a_full_inflight_window_was_lost(string fault)
    {
        var net = new ScenarioNetwork(3, new ScenarioOptions { MaxInflightMessages = Window });
        var leader = net.Elect(1);
        net.Propose(1, "warm-up");
        net.Deliver();
        Assert.Equal(ProgressState.Replicate, leader.GetStatus().Followers[3].State);
        var sentBefore = AppendsWithEntriesTo(net, 3);

        using (Inject(net, fault))
        {
            for (var i = 0; i < 10; i++)
            {
                net.Propose(1, $"c{i}");
                net.Deliver();
            }

            // Flow control held: only the window's worth of Appends went out.
            Assert.Equal(Window, AppendsWithEntriesTo(net, 3) - sentBefore);
            net.TickAll(3 * net.ElectionTicks);
            Assert.Equal(1UL, net.Leader);
        }

        net.TickAll(3);

        AssertCaughtUp(net);
    }

    // The follower is probing when the fault starts (it was cut off during the election), so
    // its single probe is outstanding and lost.
    [Theory]
    [MemberData(nameof(Faults))]
    public void Probe_resumes_after_its_probe_was_lost(string fault)
    {
        var net = new ScenarioNetwork(3, new ScenarioOptions { MaxInflightMessages = Window });
        using (Inject(net, fault))
        {
            var leader = net.Elect(1);
            Assert.Equal(ProgressState.Probe, leader.GetStatus().Followers[3].State);
            for (var i = 0; i < 10; i++)
            {
                net.Propose(1, $"c{i}");
                net.Deliver();
            }

            net.TickAll(3 * net.ElectionTicks);
            Assert.Equal(1UL, net.Leader);
        }

        net.Propose(1, "warm-up");
        net.TickAll(3);

        AssertCaughtUp(net);
    }

    private static IDisposable Inject(ScenarioNetwork net, string fault) => fault switch
    {
        "isolated" => net.Isolate(3),
        "appends lost" => net.Drop(m => m is { Type: MessageType.Append, To: 3 }),
        "answers lost" => net.Drop(m => m is { Type: MessageType.AppendResponse, From: 3 }),
        _ => throw new ArgumentOutOfRangeException(nameof(fault)),
    };

    private static int AppendsWithEntriesTo(ScenarioNetwork net, ulong to) =>
        net.Sent.Count(m => m.Type == MessageType.Append && m.To == to && m.Entries.Length > 0);

    private static void AssertCaughtUp(ScenarioNetwork net)
    {
        Assert.Equal(net.LogOf(1), net.LogOf(3));
        Assert.Equal(net.Node(1).CommitIndex, net.Node(3).CommitIndex);
        Assert.Equal(net.AppliedCommands(1), net.AppliedCommands(3));
        Assert.Equal(ProgressState.Replicate, net.Node(1).GetStatus().Followers[3].State);
        net.AssertSafe();
    }
}
