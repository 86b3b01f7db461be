using Raft.Actors.Consensus;
using Xunit;

namespace Raft.Actors.Tests.Consensus.Scenarios;

public sealed class DuelingCandidatesTests
{
    // Two candidates in one term split a four-node cluster's votes: 3 votes for 1, 4 for 2,
    // and neither reaches three. Randomized timeouts (Raft §5.2) must break the tie later.
    [Fact]
    public void Dueling_candidates_split_the_vote_and_one_wins_later()
    {
        for (var seed = 1; seed <= 30; seed++)
        {
            var net = new ScenarioNetwork(4, ScenarioOptions.Paper, seed);
            var cut14 = net.CutOneWay(1, 4);
            var cut23 = net.CutOneWay(2, 3);
            net.Campaign(1);
            net.Campaign(2);
            net.Deliver();

            Assert.Null(net.Leader);
            Assert.Equal((RaftRole.Candidate, 1UL), (net.Node(1).Role, net.Node(1).Term));
            Assert.Equal((RaftRole.Candidate, 1UL), (net.Node(2).Role, net.Node(2).Term));

            cut14.Dispose();
            cut23.Dispose();
            var leader = net.StableLeaderWithin(electionTimeouts: 10);

            Assert.All(net.Ids, id => Assert.Equal(leader, net.Node(id).Leader));
            net.AssertSafe();
        }
    }

    // Every node campaigns at once, over and over, with and without PreVote: never two
    // leaders in a term, and one leader settles.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Simultaneous_campaigns_never_elect_two_leaders_in_a_term(bool preVote)
    {
        for (var seed = 1; seed <= 30; seed++)
        {
            var net = new ScenarioNetwork(5, new ScenarioOptions { PreVote = preVote, CheckQuorum = false }, seed);
            for (var round = 0; round < 5; round++)
            {
                foreach (var id in net.Ids)
                {
                    net.Campaign(id);
                }

                net.Deliver();
            }

            var leader = net.StableLeaderWithin(electionTimeouts: 10);

            Assert.All(net.Ids, id => Assert.Equal(leader, net.Node(id).Leader));
            net.AssertSafe();
        }
    }
}
