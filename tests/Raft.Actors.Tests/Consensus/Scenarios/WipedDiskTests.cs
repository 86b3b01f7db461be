using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Storage;
using Raft.Actors.Testing.Simulation;
using Xunit;

namespace Raft.Actors.Tests.Consensus.Scenarios;

/// <summary>PITFALLS 5: a node that lost its disk must not vote as if it had never acknowledged anything.</summary>
public sealed class WipedDiskTests
{
    // CheckQuorum off: these tests look at the vote rule alone, not at leader leases.
    private static RaftNode Node(LogState? disk = null) =>
        new(new RaftNodeOptions { Id = 3, Group = 1, InitialConfiguration = ConfState.OfVoters(1, 2, 3), CheckQuorum = false }, new SimRandom(1), disk);

    private static RaftMessage VoteRequest(ulong lastIndex, ulong lastTerm) =>
        new() { Type = MessageType.Vote, Group = 1, From = 2, To = 3, Term = 5, Index = lastIndex, LogTerm = lastTerm };

    private static RaftMessage Answer(RaftNode node)
    {
        var ready = node.GetReady();
        return Assert.Single(ready.MessagesAfterPersist.Concat(ready.MessagesNow), m => m.Type == MessageType.VoteResponse);
    }

    [Fact]
    public void A_node_with_an_empty_disk_refuses_to_vote_for_a_candidate_that_has_a_log()
    {
        var wiped = Node();

        wiped.Step(VoteRequest(lastIndex: 10, lastTerm: 4));

        Assert.True(Answer(wiped).Reject);
        Assert.Equal(0UL, wiped.Vote);
    }

    [Fact]
    public void A_brand_new_group_still_elects_because_every_log_is_empty()
    {
        var fresh = Node();

        fresh.Step(VoteRequest(lastIndex: 0, lastTerm: 0));

        Assert.False(Answer(fresh).Reject);
        Assert.Equal(2UL, fresh.Vote);
    }

    [Fact]
    public void A_node_restarted_with_its_disk_votes_normally()
    {
        var disk = new LogState(new HardState(4, 1, 2), 0, 0, [new Entry { Index = 1, Term = 1 }, new Entry { Index = 2, Term = 4 }]);
        var restarted = Node(disk);

        restarted.Step(VoteRequest(lastIndex: 10, lastTerm: 4));

        Assert.False(Answer(restarted).Reject);
    }

    [Fact]
    public void A_wiped_node_votes_again_once_a_leader_has_given_it_the_log()
    {
        var wiped = Node();
        wiped.Step(new RaftMessage
        {
            Type = MessageType.Append,
            Group = 1,
            From = 1,
            To = 3,
            Term = 4,
            Index = 0,
            LogTerm = 0,
            Commit = 1,
            Entries = [new Entry { Index = 1, Term = 4 }],
        });
        wiped.Advance(wiped.GetReady());

        wiped.Step(VoteRequest(lastIndex: 10, lastTerm: 4));

        Assert.False(Answer(wiped).Reject);
    }
}
