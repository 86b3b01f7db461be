using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Xunit;

namespace Raft.Actors.Tests.Consensus.Scenarios;

/// <summary>Thesis §6.2: CheckQuorum and the leader lease it gives followers.</summary>
public sealed class CheckQuorumTests
{
    [Fact]
    public void Leader_steps_down_when_quorum_is_lost()
    {
        var net = new ScenarioNetwork(3, new ScenarioOptions { CheckQuorum = true });
        var leader = net.Elect(1);
        var term = leader.Term;
        net.Isolate(1);

        var ticks = net.TickAllUntil(() => leader.Role != RaftRole.Leader, 3 * net.ElectionTicks);

        // The first check after an election timeout still sees the followers' answers to the
        // election; the next one sees nobody.
        Assert.InRange(ticks, net.ElectionTicks + 1, 2 * net.ElectionTicks);
        Assert.Equal(RaftRole.Follower, leader.Role);
        Assert.Equal(term, leader.Term);
        Assert.Equal(0UL, leader.Leader);
        Assert.Equal(ProposeStatus.NotLeader, net.Propose(1, "x").Status);
    }

    // Without CheckQuorum the isolated leader would go on believing it leads.
    [Fact]
    public void Without_CheckQuorum_an_isolated_leader_keeps_leading()
    {
        var net = new ScenarioNetwork(3, new ScenarioOptions { CheckQuorum = false });
        var leader = net.Elect(1);
        net.Isolate(1);

        net.TickAll(10 * net.ElectionTicks);

        Assert.Equal(RaftRole.Leader, leader.Role);
    }

    [Fact]
    public void Leader_that_hears_from_a_quorum_keeps_leading()
    {
        var net = new ScenarioNetwork(5, new ScenarioOptions { CheckQuorum = true });
        var leader = net.Elect(1);
        var term = leader.Term;
        net.Isolate(4);
        net.Isolate(5);

        net.TickAll(10 * net.ElectionTicks);

        Assert.Equal(RaftRole.Leader, leader.Role);
        Assert.Equal(term, leader.Term);
    }

    // Thesis §4.2.3: a follower that heard from its leader less than an election timeout ago
    // ignores a vote request of a higher term. Node 3 campaigns without PreVote, so its
    // request carries a real new term.
    [Fact]
    public void Follower_that_heard_from_a_leader_within_the_timeout_refuses_votes()
    {
        var (net, term) = CampaignWhileTheLeaderIsHealthy(checkQuorum: true);

        Assert.Equal((term, 1UL, 1UL), (net.Node(2).Term, net.Node(2).Vote, net.Node(2).Leader));
        Assert.NotEqual(RaftRole.Leader, net.Node(3).Role);
        Assert.DoesNotContain(net.Sent, m => m is { Type: MessageType.VoteResponse, From: 2, Reject: false } && m.Term > term);
    }

    // Without CheckQuorum there is no lease: the same request takes the follower's vote.
    [Fact]
    public void Without_CheckQuorum_the_same_follower_grants_the_vote()
    {
        var (net, term) = CampaignWhileTheLeaderIsHealthy(checkQuorum: false);

        Assert.Equal((term + 1, 3UL), (net.Node(2).Term, net.Node(2).Vote));
        Assert.Equal(RaftRole.Leader, net.Node(3).Role);
    }

    // etcd raft #5451: a node that reached a higher term while cut off cannot win (its log is
    // behind) and cannot be heard (the others' lease ignores its votes), and it ignores the
    // leader's lower-term messages. Its answer to them carries its term, which makes the
    // leader step down, so a new election admits the node again.
    [Fact]
    public void Node_stuck_at_a_higher_term_behind_the_lease_still_rejoins()
    {
        var net = new ScenarioNetwork(3, storage: id => id == 3 ? Build.Stored(term: 5, []) : null);
        var cut = net.Isolate(3);
        net.Elect(1);
        net.Propose(1, "x");
        net.Deliver();
        cut.Dispose();

        var leader = net.StableLeaderWithin(electionTimeouts: 10);

        Assert.True(net.Node(leader).Term > 5);
        Assert.Equal(net.LogOf(leader), net.LogOf(3));
        Assert.Equal(["x"], net.AppliedCommands(3));
        net.AssertSafe();
    }

    private static (ScenarioNetwork Net, ulong Term) CampaignWhileTheLeaderIsHealthy(bool checkQuorum)
    {
        var net = new ScenarioNetwork(3, new ScenarioOptions { CheckQuorum = checkQuorum }, customize: (id, o) => id == 3 ? o with { PreVote = false } : o);
        var term = net.Elect(1).Term;
        net.TickAll(1);
        Assert.Equal((term, 1UL), (net.Node(2).Term, net.Node(2).Vote));

        net.Campaign(3);
        net.Deliver();
        return (net, term);
    }
}
