using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Xunit;
using static Raft.Actors.Protocol.ConfChangeType;

namespace Raft.Actors.Tests.Consensus.Membership;

/// <summary>Membership changes on a running group (thesis chapter 4), as an operator would make them.</summary>
public sealed class MembershipScenarioTests
{
    private static ConfChangeItem Item(ConfChangeType type, ulong node) => new(type, node);

    private static void Change(ScenarioNetwork net, ulong leader, params ConfChangeItem[] items)
    {
        var result = net.Node(leader).ProposeConfChange(ConfChange.Of(items));
        Assert.True(result.Status == ProposeStatus.Accepted, $"{result.Status}: {result.Reason}");
        net.Deliver();
    }

    private static int ConfEntries(ScenarioNetwork net, ulong id) =>
        net.Node(id).Log.Slice(1, int.MaxValue, long.MaxValue).Count(e => e.Type == EntryType.ConfChange);

    [Fact]
    public void A_learner_catches_up_and_is_promoted_to_voter_in_one_change()
    {
        var net = new ScenarioNetwork(3);
        net.Elect(1);
        net.AddNode(4);

        Change(net, 1, Item(AddLearner, 4));
        Assert.Equal(net.Node(1).LastIndex, net.Node(4).LastIndex);
        Assert.Equal([4UL], net.Node(4).Configuration.Learners.ToArray());

        Change(net, 1, Item(AddVoter, 4));

        Assert.Equal(2, ConfEntries(net, 1));
        foreach (var id in new ulong[] { 1, 2, 3, 4 })
        {
            Assert.Equal([1UL, 2, 3, 4], net.Node(id).Configuration.Voters.ToArray());
            Assert.Empty(net.Node(id).Configuration.Learners);
        }

        // Node 4 now counts: with 2 and 3 away, 1 and 4 are no majority of four.
        net.Isolate(2);
        net.Isolate(3);
        var x = net.Propose(1, "x");
        net.Deliver();
        Assert.True(net.Node(1).CommitIndex < x.Index);
        net.Heal();
        net.TickAll(2);
        Assert.True(net.Node(1).CommitIndex >= x.Index);
        net.AssertSafe();
    }

    [Fact]
    public void A_second_change_waits_until_the_first_commits()
    {
        var net = new ScenarioNetwork(3);
        var leader = net.Elect(1);
        net.AddNode(4);
        net.AddNode(5);

        Assert.Equal(ProposeStatus.Accepted, leader.ProposeConfChange(ConfChange.Of(Item(AddLearner, 4))).Status);
        var second = leader.ProposeConfChange(ConfChange.Of(Item(AddLearner, 5)));

        Assert.Equal(ProposeStatus.Busy, second.Status);
        Assert.Contains("not committed", second.Reason);
        net.Deliver();
        Assert.Equal(ProposeStatus.Accepted, leader.ProposeConfChange(ConfChange.Of(Item(AddLearner, 5))).Status);
    }

    [Fact]
    public void A_new_leader_changes_nothing_before_it_commits_an_entry_of_its_term()
    {
        var net = new ScenarioNetwork(3, ScenarioOptions.Paper);
        net.Elect(1);
        using (net.DropType(MessageType.AppendResponse))
        {
            net.Elect(2);
            var early = net.Node(2).ProposeConfChange(ConfChange.Of(Item(Remove, 3)));

            Assert.Equal(ProposeStatus.Busy, early.Status);
            Assert.Contains("not yet committed an entry of term", early.Reason);
        }

        net.TickAll(2);
        Assert.Equal(ProposeStatus.Accepted, net.Node(2).ProposeConfChange(ConfChange.Of(Item(Remove, 3))).Status);
    }

    [Fact]
    public void Replacing_a_voter_enters_and_leaves_a_joint_configuration_by_itself()
    {
        var net = new ScenarioNetwork(3);
        net.Elect(1);
        net.AddNode(4);
        Change(net, 1, Item(AddLearner, 4));

        Change(net, 1, Item(Remove, 3), Item(AddVoter, 4));
        net.TickAll(2);

        Assert.Equal(3, ConfEntries(net, 1)); // add learner, enter joint, leave joint
        foreach (var id in new ulong[] { 1, 2, 4 })
        {
            var conf = net.Node(id).Configuration;
            Assert.False(conf.IsJoint);
            Assert.Equal([1UL, 2, 4], conf.Voters.ToArray());
        }

        // Node 3 received the change that removed it: it knows, and neither campaigns nor votes.
        Assert.False(net.Node(3).Configuration.Contains(3));
        net.AssertSafe();
    }

    [Fact]
    public void A_removed_leader_steps_down_once_the_change_commits_and_hands_over_at_once()
    {
        var net = new ScenarioNetwork(3);
        net.Elect(1);

        Change(net, 1, Item(Remove, 1));

        Assert.NotEqual(RaftRole.Leader, net.Node(1).Role);
        Assert.Contains(net.Sent, m => m.Type == MessageType.TimeoutNow && m.From == 1);
        var successor = net.Leader;
        Assert.True(successor is 2 or 3, $"no successor elected without waiting for a timeout: {net}");

        // The removed node never campaigns again and refuses to vote.
        var before = net.Sent.Count;
        net.TickAll(10 * net.ElectionTicks);
        Assert.DoesNotContain(net.Sent.Skip(before), m => m.From == 1 && m.Type is MessageType.Vote or MessageType.PreVote);
        net.Node(1).Step(new RaftMessage { Type = MessageType.Vote, Group = 0, From = 2, To = 1, Term = net.Node(1).Term + 1, Index = 100, LogTerm = 100 });
        var answer = net.ProcessReady(1)!;
        Assert.True(Assert.Single(answer.MessagesAfterPersist, m => m.Type == MessageType.VoteResponse).Reject);
        net.AssertSafe();
    }

    [Fact]
    public void A_promoted_learner_that_has_not_heard_of_its_promotion_still_votes()
    {
        var net = new ScenarioNetwork(new ConfState { Voters = [1, 2, 3], Learners = [4] }, ScenarioOptions.Paper);
        net.Elect(1);
        using (net.Drop(m => m.To == 4 && m.Type == MessageType.Append))
        {
            Change(net, 1, Item(AddVoter, 4));
        }

        Assert.Equal([4UL], net.Node(4).Configuration.Learners.ToArray());
        net.Isolate(1);

        // Node 2 needs three of {1, 2, 3, 4}: itself, node 3 and node 4, which still thinks it is a learner.
        net.Elect(2);
        Assert.Contains(net.Delivered, m => m.Type == MessageType.VoteResponse && m.From == 4 && !m.Reject);
        net.AssertSafe();
    }

    [Fact]
    public void A_new_voter_that_has_part_of_the_log_but_not_its_addition_still_votes()
    {
        // Found by the membership simulation (while it still added empty nodes as voters): node 4
        // was added as a voter and had received the log up to just before its addition. Not being
        // in the configuration it knew, it refused every vote as if removed: the group could not elect.
        var net = new ScenarioNetwork(3, ScenarioOptions.Paper with { MaxEntriesPerMessage = 1 });
        net.Elect(1);
        net.Propose(1, "a");
        net.Deliver();
        net.AddNode(4, ScenarioOptions.Paper with { MaxEntriesPerMessage = 1 });
        var addition = net.Node(1).LastIndex + 1;
        using (net.Drop(m => m.To == 4 && m.Type == MessageType.Append && m.Entries.Any(e => e.Index >= addition)))
        {
            Change(net, 1, Item(AddVoter, 4));
        }

        Assert.Equal(addition - 1, net.Node(4).LastIndex);
        Assert.False(net.Node(4).Configuration.Contains(4));
        net.Isolate(1);

        // Node 2 needs three of {1, 2, 3, 4}: itself, node 3 and node 4, which has not seen its addition.
        net.Elect(2);
        Assert.Contains(net.Delivered, m => m.Type == MessageType.VoteResponse && m.From == 4 && !m.Reject);
        net.AssertSafe();
    }

    [Fact]
    public void A_configuration_entry_that_is_truncated_takes_its_configuration_back()
    {
        var net = new ScenarioNetwork(3);
        net.Elect(1);
        net.AddNode(4);
        net.Isolate(1);
        Assert.Equal(ProposeStatus.Accepted, net.Node(1).ProposeConfChange(ConfChange.Of(Item(AddLearner, 4))).Status);
        net.Deliver();
        Assert.Equal([4UL], net.Node(1).Configuration.Learners.ToArray());

        net.Heal();
        net.Isolate(4);
        using (net.Isolate(1))
        {
            net.StableLeaderWithin(electionTimeouts: 10);
            net.Propose(net.Leader!.Value, "y");
            net.Deliver();
        }

        net.TickAll(3 * net.ElectionTicks);

        Assert.Empty(net.Node(1).Configuration.Learners);
        Assert.Equal(net.Node(2).LastIndex, net.Node(1).LastIndex);
        net.AssertSafe();
    }

    [Theory]
    [InlineData(Remove, 9, "not a member")]
    [InlineData(AddLearner, 2, "demoting")]
    public void An_invalid_change_is_refused_with_the_reason_and_nothing_is_appended(ConfChangeType type, ulong node, string reason)
    {
        var net = new ScenarioNetwork(3);
        var leader = net.Elect(1);
        var last = leader.LastIndex;

        var result = leader.ProposeConfChange(ConfChange.Of(Item(type, node)));

        Assert.Equal(ProposeStatus.Invalid, result.Status);
        Assert.Contains(reason, result.Reason);
        Assert.Equal(last, leader.LastIndex);
    }

    [Fact]
    public void A_follower_answers_a_change_with_the_leader_hint()
    {
        var net = new ScenarioNetwork(3);
        net.Elect(1);

        var result = net.Node(2).ProposeConfChange(ConfChange.Of(Item(Remove, 3)));

        Assert.Equal((ProposeStatus.NotLeader, 1UL), (result.Status, result.LeaderHint));
    }
}
