using Raft.Actors.Consensus;
using Xunit;

namespace Raft.Actors.Tests.Consensus.Scenarios;

public sealed class SingleNodeTests
{
    [Fact]
    public void Single_node_cluster_elects_itself_and_commits()
    {
        var net = new ScenarioNetwork(1);

        var ticks = net.TickAllUntil(() => net.Leader == 1, 2 * net.ElectionTicks);

        Assert.InRange(ticks, net.ElectionTicks, 2 * net.ElectionTicks);
        var x = net.Propose(1, "x");
        net.Deliver();
        Assert.Equal(x.Index, net.Node(1).CommitIndex);
        Assert.Equal(["x"], net.AppliedCommands(1));

        Assert.True(net.ReadIndex(1, 9));
        net.Deliver();
        Assert.Equal(new ReadState(9, x.Index), Assert.Single(net.ReadStates(1)));
    }

    [Fact]
    public void Single_node_replays_its_log_after_a_restart_and_leads_again()
    {
        var net = new ScenarioNetwork(1);
        net.TickAllUntil(() => net.Leader == 1, 2 * net.ElectionTicks);
        net.Propose(1, "x");
        net.Deliver();

        net.Restart(1);
        net.Deliver();

        Assert.Equal(["x"], net.AppliedCommands(1));
        Assert.NotEqual(-1, net.TickAllUntil(() => net.Leader == 1, 2 * net.ElectionTicks));
        net.Propose(1, "y");
        net.Deliver();
        Assert.Equal(["x", "y"], net.AppliedCommands(1));
        Assert.Equal(2UL, net.Node(1).Term);
        net.AssertSafe();
    }
}
