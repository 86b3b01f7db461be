using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Xunit;

namespace Raft.Actors.Tests.Consensus.Scenarios;

/// <summary>
/// PITFALLS row 9: nothing is reported committed before it is durable on a quorum, and no
/// acknowledgement or vote counts before the write it stands for.
/// </summary>
public sealed class DurabilityTests
{
    // A single node is its own quorum: its entry commits only once its own write is done.
    [Fact]
    public void Single_node_commits_an_entry_only_after_it_is_durable()
    {
        var net = new ScenarioNetwork(1);
        net.TickAllUntil(() => net.Leader == 1, 2 * net.ElectionTicks);
        var x = net.Propose(1, "x");

        var lost = net.CrashBeforePersist(1);

        Assert.Contains(lost.EntriesToPersist, e => e.Index == x.Index);
        Assert.DoesNotContain(lost.CommittedEntries, e => e.Index == x.Index);
        Assert.True((lost.HardState?.Commit ?? 0) < x.Index);
        net.Start(1);
        net.TickAllUntil(() => net.Leader == 1, 2 * net.ElectionTicks);
        Assert.Empty(net.AppliedCommands(1));
        net.AssertSafe();
    }

    // A follower that crashes before writing the entries never acknowledged them, so the
    // leader (with the third node cut off) has no quorum for them.
    [Fact]
    public void Follower_acknowledges_entries_only_after_they_are_durable()
    {
        var net = new ScenarioNetwork(3);
        var leader = net.Elect(1);
        net.Isolate(3);
        var hold = net.Hold(m => m is { Type: MessageType.Append, To: 2 });
        var x = net.Propose(1, "x");
        net.Deliver();
        hold.Dispose();
        var append = Assert.Single(net.Held, m => m.Entries.Any(e => e.Index == x.Index));
        net.DiscardHeld();

        net.Node(2).Step(append);
        var lost = net.CrashBeforePersist(2);
        net.Deliver();

        Assert.Contains(lost.MessagesAfterPersist, m => m is { Type: MessageType.AppendResponse, Reject: false });
        Assert.DoesNotContain(lost.MessagesNow, m => m.Type == MessageType.AppendResponse);
        Assert.True(leader.CommitIndex < x.Index);

        net.Start(2);
        net.TickAll(2);
        Assert.Equal(x.Index, leader.CommitIndex);
        net.AssertSafe();
    }

    // The runtime may step inputs while a Ready is outstanding. A campaign then puts the new
    // vote in the next Ready, so the outstanding Ready's acknowledgement must not count it.
    [Fact]
    public void Own_vote_cast_while_a_ready_is_outstanding_counts_after_the_ready_that_persists_it()
    {
        var node = Build.Node(1, 1, Build.Stored(term: 1, [1], commit: 1));
        var outstanding = node.GetReady();
        Assert.Null(outstanding.HardState);

        node.Campaign();
        node.Advance(outstanding);

        Assert.Equal(RaftRole.Candidate, node.Role);
        var withVote = node.GetReady();
        Assert.Equal(new HardState(2, 1, 1), withVote.HardState);
        node.Advance(withVote);
        Assert.Equal(RaftRole.Leader, node.Role);
    }
}
