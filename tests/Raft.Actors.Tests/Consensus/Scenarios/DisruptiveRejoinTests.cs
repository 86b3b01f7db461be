using Xunit;

namespace Raft.Actors.Tests.Consensus.Scenarios;

/// <summary>PITFALLS row 6: a partitioned node inflates its term and deposes a healthy leader on return.</summary>
public sealed class DisruptiveRejoinTests
{
    // Thesis §9.6: with PreVote a partitioned node never wins a pre-vote, so its term stays;
    // with CheckQuorum the others ignore it while they hear from their leader.
    [Fact]
    public void Rejoining_node_with_PreVote_and_CheckQuorum_does_not_disturb_the_leader()
    {
        var (net, term) = PartitionAndRejoin(preVote: true);

        Assert.Equal(1UL, net.Leader);
        Assert.Equal(term, net.Node(1).Term);
        Assert.All(net.Ids, id => Assert.Equal((term, 1UL), (net.Node(id).Term, net.Node(id).Leader)));
        Assert.Equal([term], net.LeadersByTerm.Keys);
        Assert.Equal(["a", "b"], net.AppliedCommands(3));
        net.AssertSafe();
    }

    // The same run without PreVote: the isolated node's elections raise its term, and on
    // return its higher term reaches the leader, which steps down. This is what the test above
    // would see if PreVote did not work.
    [Fact]
    public void Rejoining_node_without_PreVote_bumps_the_term()
    {
        var (net, term) = PartitionAndRejoin(preVote: false);

        Assert.True(net.Node(1).Term > term, $"term stayed {term}:{Environment.NewLine}{net}");
        Assert.Contains(net.LeadersByTerm.Keys, t => t > term);
        net.AssertSafe();
    }

    private static (ScenarioNetwork Net, ulong Term) PartitionAndRejoin(bool preVote)
    {
        var net = new ScenarioNetwork(3, new ScenarioOptions { PreVote = preVote, CheckQuorum = true });
        var leader = net.Elect(1);
        var term = leader.Term;
        net.Propose(1, "a");
        net.Deliver();

        var cut = net.Isolate(3);
        net.TickAll(30 * net.ElectionTicks);
        Assert.Equal(1UL, net.Leader);
        Assert.Equal(preVote, net.Node(3).Term == term);

        net.Propose(1, "b");
        cut.Dispose();
        net.TickAll(5 * net.ElectionTicks);
        return (net, term);
    }
}
