using Raft.Actors.Consensus;
using Xunit;

namespace Raft.Actors.Tests.Consensus.Scenarios;

/// <summary>
/// PITFALLS row 7: PreVote and CheckQuorum (both on, the defaults) under partial partitions
/// must still let a leader settle within a few election timeouts (Cloudflare 2020).
/// </summary>
public sealed class PartialPartitionTests
{
    private const int K = 10;

    // Only node 1 reaches everyone; the old leader 2 reaches node 1 alone, so it must step
    // down (CheckQuorum) and node 1 must take over.
    [Fact]
    public void Star_partition_around_a_follower_settles_on_the_hub()
    {
        for (var seed = 1; seed <= 20; seed++)
        {
            var net = new ScenarioNetwork(5, seed: seed);
            net.Elect(2);
            net.Propose(2, "a");
            net.Deliver();
            for (var a = 2UL; a <= 5; a++)
            {
                for (var b = a + 1; b <= 5; b++)
                {
                    net.Cut(a, b);
                }
            }

            var leader = net.StableLeaderWithin(K);

            Assert.Equal(1UL, leader);
            AssertCommits(net, leader);
            net.AssertSafe();
        }
    }

    // The leader's outgoing links fail; it still hears everyone. The followers must elect a
    // new leader, and the old one must not win back or disturb it.
    [Fact]
    public void Leader_that_can_receive_but_not_send_is_replaced()
    {
        for (var seed = 1; seed <= 20; seed++)
        {
            var net = new ScenarioNetwork(5, seed: seed);
            net.Elect(1);
            foreach (var id in net.Ids.Where(i => i != 1))
            {
                net.CutOneWay(1, id);
            }

            var leader = net.StableLeaderWithin(K);

            Assert.NotEqual(1UL, leader);
            Assert.Equal(RaftRole.Follower, net.Node(1).Role);
            AssertCommits(net, leader);
            net.AssertSafe();
        }
    }

    // A follower that can send but not receive must not raise terms or depose the leader.
    [Fact]
    public void Follower_that_can_send_but_not_receive_does_not_disturb_the_leader()
    {
        var net = new ScenarioNetwork(3);
        var term = net.Elect(1).Term;
        net.CutOneWay(1, 3);
        net.CutOneWay(2, 3);

        Assert.Equal(1UL, net.StableLeaderWithin(K, holdElectionTimeouts: K - 1));

        Assert.Equal([term], net.LeadersByTerm.Keys);
        Assert.Equal(term, net.Node(3).Term);
        AssertCommits(net, 1);
    }

    // The leader loses the acknowledgements of one follower but keeps a quorum with the other.
    [Fact]
    public void Leader_that_loses_one_followers_answers_keeps_leading()
    {
        var net = new ScenarioNetwork(3);
        var term = net.Elect(1).Term;
        net.CutOneWay(2, 1);

        Assert.Equal(1UL, net.StableLeaderWithin(K, holdElectionTimeouts: K - 1));

        Assert.Equal([term], net.LeadersByTerm.Keys);
        AssertCommits(net, 1);
    }

    // Nodes 1 and 3 cannot talk; node 2 reaches both. Whoever leads must be able to keep a
    // quorum through node 2, and the other side must not unseat it over and over.
    [Fact]
    public void Two_nodes_that_only_meet_through_a_third_settle_on_one_leader()
    {
        for (var seed = 1; seed <= 20; seed++)
        {
            var net = new ScenarioNetwork(3, seed: seed);
            net.Elect(1);
            net.Cut(1, 3);

            var leader = net.StableLeaderWithin(K);

            AssertCommits(net, leader);
            net.AssertSafe();
        }
    }

    private static void AssertCommits(ScenarioNetwork net, ulong leader)
    {
        var result = net.Propose(leader, "x");
        Assert.Equal(ProposeStatus.Accepted, result.Status);
        net.Deliver();
        net.TickAll(2);
        Assert.True(net.Node(leader).CommitIndex >= result.Index, $"leader {leader} did not commit {result.Index} (seed {net.Seed}):{Environment.NewLine}{net}");
    }
}
