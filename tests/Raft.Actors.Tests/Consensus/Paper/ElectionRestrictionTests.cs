using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Xunit;

namespace Raft.Actors.Tests.Consensus.Paper;

/// <summary>Raft §5.4.1, the election restriction.</summary>
[Trait("Paper", "§5.4.1")]
public sealed class ElectionRestrictionTests
{
    // Raft §5.4.1: "If the logs have last entries with different terms, then the log with the
    // later term is more up-to-date. If the logs end with the same term, then whichever log is
    // longer is more up-to-date." The voter's log ends at index 3, term 2.
    [Theory]
    [InlineData(3UL, 2UL, true)]
    [InlineData(4UL, 2UL, true)]
    [InlineData(2UL, 3UL, true)]
    [InlineData(1UL, 3UL, true)]
    [InlineData(2UL, 2UL, false)]
    [InlineData(4UL, 1UL, false)]
    [InlineData(9UL, 1UL, false)]
    [InlineData(0UL, 0UL, false)]
    public void Voter_compares_last_term_then_last_index(ulong candidateLastIndex, ulong candidateLastTerm, bool granted)
    {
        var node = Build.Node(1, 3, Build.Stored(term: 2, [1, 1, 2]));

        node.Step(Build.Vote(2, 1, term: 3, candidateLastIndex, candidateLastTerm));

        var answer = Assert.Single(Build.DrainMessages(node), m => m.Type == MessageType.VoteResponse);
        Assert.Equal(!granted, answer.Reject);
        Assert.Equal(granted ? 2UL : 0UL, node.Vote);
        Assert.Equal(3UL, node.Term);
    }

    // Raft §5.4.1: "a candidate must contact a majority of the cluster in order to be elected,
    // which means that every committed entry must be present in at least one of those servers"
    // — so a candidate missing a committed entry cannot win, and the entry survives.
    [Fact]
    public void Candidate_missing_a_committed_entry_gets_no_vote_and_the_entry_survives()
    {
        var net = new ScenarioNetwork(3, ScenarioOptions.Paper);
        net.Elect(1);
        var cut = net.Isolate(3);
        var x = net.Propose(1, "x");
        net.Deliver();
        Assert.Equal(x.Index, net.Node(1).CommitIndex);
        cut.Dispose();

        net.Campaign(3);
        net.Deliver();

        Assert.NotEqual(RaftRole.Leader, net.Node(3).Role);
        Assert.Equal(2UL, net.Node(3).Term);
        Assert.All(net.Delivered.Where(m => m.Type == MessageType.VoteResponse && m.To == 3), m => Assert.True(m.Reject));

        Assert.NotEqual(-1, net.TickAllUntil(() => net.Leader is not null, 20 * net.ElectionTicks));
        net.TickAll(2);
        Assert.NotEqual(3UL, net.Leader);
        Assert.All(net.Ids, id => Assert.Equal(["x"], net.AppliedCommands(id)));
        Assert.DoesNotContain(net.LeadersByTerm, t => t.Value.Contains(3));
        net.AssertSafe();
    }
}
