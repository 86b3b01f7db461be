using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Xunit;

namespace Raft.Actors.Tests.Consensus.Scenarios;

/// <summary>Learners (ConfState.Learners) replicate the log but never vote, campaign or count.</summary>
public sealed class LearnerTests
{
    private static readonly ConfState s_threeVotersOneLearner = new() { Voters = [1, 2, 3], Learners = [4] };

    [Fact]
    public void Learner_receives_entries_but_is_never_asked_to_vote_and_never_campaigns()
    {
        var net = new ScenarioNetwork(s_threeVotersOneLearner);
        net.Elect(1);
        net.Propose(1, "x");
        net.Deliver();
        Assert.Equal(["x"], net.AppliedCommands(4));

        // The leader goes away; the voters elect another while the learner hears everything.
        net.Isolate(1);
        var leader = net.StableLeaderWithin(electionTimeouts: 10);
        net.Propose(leader, "y");
        net.Deliver();
        net.TickAll(2);
        Assert.Equal(["x", "y"], net.AppliedCommands(4));

        // Alone, the learner never starts an election.
        net.Isolate(4);
        var term = net.Node(4).Term;
        net.TickAll(20 * net.ElectionTicks);
        net.Campaign(4);
        net.Deliver();

        Assert.Equal((RaftRole.Follower, term), (net.Node(4).Role, net.Node(4).Term));
        Assert.DoesNotContain(net.Sent, m => m.Type is MessageType.Vote or MessageType.PreVote && (m.To == 4 || m.From == 4));
        Assert.DoesNotContain(net.LeadersByTerm.Values, l => l.Contains(4));
        net.AssertSafe();
    }

    [Fact]
    public void Learner_acknowledgements_do_not_count_towards_commit()
    {
        var net = new ScenarioNetwork(s_threeVotersOneLearner);
        var leader = net.Elect(1);
        net.Isolate(2);
        net.Isolate(3);

        var x = net.Propose(1, "x");
        net.Deliver();

        Assert.Equal(x.Index, net.Node(4).LastIndex);
        Assert.Equal(x.Index, leader.GetStatus().Followers[4].Match);
        Assert.True(leader.CommitIndex < x.Index);
    }

    [Fact]
    public void Learner_vote_does_not_count_towards_an_election()
    {
        var net = new ScenarioNetwork(new ConfState { Voters = [1, 2], Learners = [3] }, ScenarioOptions.Paper);
        net.Isolate(2);
        net.Campaign(1);
        net.Deliver();

        net.Inject(Build.VoteResponse(3, 1, net.Node(1).Term, granted: true));
        net.Deliver();

        Assert.Equal(RaftRole.Candidate, net.Node(1).Role);
    }
}
