using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Xunit;

namespace Raft.Actors.Tests.Consensus.Scenarios;

/// <summary>
/// PITFALLS rows 9 and 19: a node must never vote twice in one term, across restarts too, so
/// its vote is durable before the vote leaves.
/// </summary>
public sealed class RestartVoteTests
{
    // Node 3 votes for 1 in term 1 and restarts; then 2 asks for its vote in term 1. Were the
    // vote forgotten, 2 would win term 1, and so would 1 once 3's answer reaches it.
    [Fact]
    public void Restarted_node_never_votes_twice_in_one_term()
    {
        var net = VoteFor1ThenAsk2(PlantedBug.None, crashBeforePersist: false);

        Assert.Equal((1UL, 1UL), (net.Disk(3).HardState.Term, net.Disk(3).HardState.Vote));
        Assert.Equal(1UL, net.Node(3).Vote);
        Assert.Equal(RaftRole.Candidate, net.Node(2).Role);
        Assert.Contains(net.Delivered, m => m is { Type: MessageType.VoteResponse, From: 3, To: 2, Reject: true });
        Assert.Equal(RaftRole.Leader, net.Node(1).Role);
        net.AssertSafe();
    }

    // Node 3 crashes after taking the Ready with its vote but before writing it. Its answer
    // was to leave only after the write, so it never left; the restarted node may vote anew.
    [Fact]
    public void Vote_lost_in_a_crash_before_it_was_durable_was_never_sent()
    {
        var net = VoteFor1ThenAsk2(PlantedBug.None, crashBeforePersist: true);

        Assert.Equal(RaftRole.Leader, net.Node(2).Role);
        Assert.Equal(RaftRole.Candidate, net.Node(1).Role);
        Assert.DoesNotContain(net.Delivered, m => m is { Type: MessageType.VoteResponse, From: 3, To: 1 });
        net.AssertSafe();
    }

    // The same crash with the vote sent before it is durable: two leaders in term 1.
    [Fact]
    public void Planted_vote_before_persist_elects_two_leaders_in_one_term()
    {
        var net = VoteFor1ThenAsk2(PlantedBug.VoteBeforePersist, crashBeforePersist: true);

        Assert.Equal([1UL, 2UL], net.LeadersByTerm[1]);
    }

    private static ScenarioNetwork VoteFor1ThenAsk2(PlantedBug bugs, bool crashBeforePersist)
    {
        var net = new ScenarioNetwork(3, ScenarioOptions.Paper with { PlantedBugs = bugs });
        net.Cut(1, 2);
        net.Hold(m => m is { Type: MessageType.VoteResponse, To: 1 });

        net.Campaign(1);
        if (crashBeforePersist)
        {
            net.Hold(m => m is { Type: MessageType.Vote, To: 3 });
            net.Deliver();
            var request = Assert.Single(net.Held, m => m.Type == MessageType.Vote);
            net.DiscardHeld();
            net.Node(3).Step(request);
            net.CrashBeforePersist(3);
            net.Start(3);
            Assert.Equal(HardState.Empty, net.Disk(3).HardState);
        }
        else
        {
            net.Deliver();
            net.Restart(3);
        }

        net.Campaign(2);
        net.Deliver();

        // Now let node 3's answer to node 1, if it ever left, arrive.
        net.Release();
        net.Deliver();
        return net;
    }
}
