using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Xunit;

namespace Raft.Actors.Tests.Consensus.Scenarios;

/// <summary>Reordered, duplicated and stale messages change nothing they should not.</summary>
public sealed class StaleMessageTests
{
    [Fact]
    public void Stale_append_response_does_not_move_match_or_commit_backwards()
    {
        var net = new ScenarioNetwork(3);
        var leader = net.Elect(1);
        var hold = net.Hold(m => m is { Type: MessageType.AppendResponse, From: 2 });
        net.Propose(1, "a");
        net.Deliver();
        hold.Dispose();
        Assert.NotEmpty(net.Held);
        net.Propose(1, "b");
        net.Propose(1, "c");
        net.Deliver();
        var before = leader.GetStatus().Followers[2];
        Assert.Equal((4UL, ProgressState.Replicate), (before.Match, before.State));

        net.Release();
        net.Deliver();

        Assert.Equal(before, leader.GetStatus().Followers[2]);
        Assert.Equal(4UL, leader.CommitIndex);
        net.Propose(1, "d");
        net.Deliver();
        Assert.Equal(["a", "b", "c", "d"], net.AppliedCommands(2));
        net.AssertSafe();
    }

    // A rejection of an Append sent while the follower lagged arrives after the follower caught
    // up: the leader must not rewind it to probing.
    [Fact]
    public void Stale_append_rejection_does_not_rewind_a_replicating_follower()
    {
        var net = new ScenarioNetwork(3);
        var leader = net.Elect(1);
        var cut = net.Isolate(2);
        net.Propose(1, "a");
        net.Propose(1, "b");
        net.Deliver();
        cut.Dispose();

        var hold = net.Hold(m => m is { Type: MessageType.AppendResponse, From: 2, Reject: true });
        net.TickAll(1);
        hold.Dispose();
        var stale = Assert.Single(net.Held);
        net.TickAll(2);
        var before = leader.GetStatus().Followers[2];
        Assert.Equal((3UL, ProgressState.Replicate), (before.Match, before.State));
        Assert.True(stale.Index <= before.Match);

        net.Release();
        net.Deliver();

        Assert.Equal(before, leader.GetStatus().Followers[2]);
        net.AssertSafe();
    }

    // A granted vote from an election the candidate already gave up must not count in the next.
    [Fact]
    public void Vote_response_from_an_earlier_term_is_not_counted()
    {
        var net = new ScenarioNetwork(3, ScenarioOptions.Paper);
        net.Hold(m => m is { Type: MessageType.VoteResponse, To: 1 });
        net.Campaign(1);
        net.Deliver();
        net.Campaign(1);
        net.Deliver();
        Assert.Equal(2UL, net.Node(1).Term);

        Assert.Equal(2, net.Release(m => m.Term == 1));
        net.Deliver();

        Assert.Equal(RaftRole.Candidate, net.Node(1).Role);

        Assert.Equal(2, net.Release(m => m.Term == 2));
        net.Deliver();

        Assert.Equal(RaftRole.Leader, net.Node(1).Role);
        net.AssertSafe();
    }

    // Appends that arrive out of order: the later one is refused (its previous entry is
    // missing), the earlier one is taken, and the follower ends with the leader's log.
    [Fact]
    public void Reordered_appends_leave_the_follower_with_the_leaders_log()
    {
        var net = new ScenarioNetwork(3);
        net.Elect(1);
        var hold = net.Hold(m => m is { Type: MessageType.Append, To: 2 });
        net.Propose(1, "a");
        net.Deliver();
        net.Propose(1, "b");
        net.Deliver();
        hold.Dispose();
        Assert.Contains(net.Held, m => m.Entries.Any(e => e.Index == 3));

        net.Release(m => m.Entries.Any(e => e.Index == 3));
        net.Deliver();
        net.Release();
        net.Deliver();
        net.TickAll(2);

        Assert.Equal(net.LogOf(1), net.LogOf(2));
        Assert.Equal(["a", "b"], net.AppliedCommands(2));
        net.AssertSafe();
    }

    // Raft §5.3 / Figure 2: a repeated Append must not truncate the entries the follower got
    // after it, nor write anything again. Nodes 3-5 are cut off so nothing past the no-op
    // commits: a committed prefix would let the follower skip the check altogether.
    [Fact]
    public void Duplicate_append_is_idempotent()
    {
        var net = new ScenarioNetwork(5);
        var leader = net.Elect(1);
        foreach (var id in new ulong[] { 3, 4, 5 })
        {
            net.Isolate(id);
        }

        net.Propose(1, "a");
        net.Propose(1, "b");
        net.Deliver();
        var append = net.Sent.Single(m => m is { Type: MessageType.Append, To: 2 } && m.Entries.Any(e => e.Index == 2));
        Assert.Equal([2UL, 3UL], append.Entries.Select(e => e.Index));

        net.Inject(append);
        net.Deliver();
        Assert.Equal(net.LogOf(1), net.LogOf(2));
        net.Propose(1, "c");
        net.Propose(1, "d");
        net.Deliver();
        var writes = net.Disk(2).Writes;
        var log = net.LogOf(2);
        Assert.Equal(1UL, net.Node(2).CommitIndex);

        net.Inject(append);
        net.Deliver();

        Assert.Equal(5UL, net.Node(2).LastIndex);
        Assert.Equal(log, net.LogOf(2));
        Assert.Equal(net.LogOf(1), net.LogOf(2));
        Assert.Equal(writes, net.Disk(2).Writes);
        Assert.Equal(5UL, leader.GetStatus().Followers[2].Match);

        net.Heal();
        net.TickAll(2);
        Assert.Equal(["a", "b", "c", "d"], net.AppliedCommands(2));
        net.AssertSafe();
    }
}
