using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Xunit;

namespace Raft.Actors.Tests.Consensus.Membership;

/// <summary>Leadership transfer (thesis §3.10): catch the target up, then TimeoutNow.</summary>
public sealed class LeadershipTransferTests
{
    [Fact]
    public void Leadership_moves_to_the_named_voter_without_waiting_for_a_timeout()
    {
        var net = new ScenarioNetwork(3);
        net.Elect(1);
        net.Propose(1, "x");
        net.Deliver();

        var result = net.Node(1).TransferLeadership(3);
        net.Deliver();

        Assert.Equal(ProposeStatus.Accepted, result.Status);
        Assert.Equal(3UL, net.Leader);
        Assert.Equal(RaftRole.Follower, net.Node(1).Role);
        net.AssertSafe();
    }

    [Fact]
    public void A_lagging_target_is_caught_up_first_and_proposals_are_refused_meanwhile()
    {
        var net = new ScenarioNetwork(3);
        net.Elect(1);
        using (net.Isolate(3))
        {
            net.Propose(1, "x");
            net.Deliver();
        }

        var appends = net.Hold(m => m.To == 3 && m.Type == MessageType.Append);
        Assert.Equal(ProposeStatus.Accepted, net.Node(1).TransferLeadership(3).Status);
        net.Deliver();

        var refused = net.Propose(1, "y");
        Assert.Equal((ProposeStatus.Busy, 3UL), (refused.Status, refused.LeaderHint));
        Assert.DoesNotContain(net.Sent, m => m.Type == MessageType.TimeoutNow);

        appends.Dispose();
        net.Release();
        net.Deliver();

        Assert.Equal(3UL, net.Leader);
        Assert.Equal(["x"], net.AppliedCommands(3));
        net.AssertSafe();
    }

    [Fact]
    public void With_no_target_the_most_caught_up_voter_is_chosen()
    {
        var net = new ScenarioNetwork(3);
        net.Elect(1);
        using (net.Isolate(2))
        {
            net.Propose(1, "x");
            net.Deliver();
        }

        net.Node(1).TransferLeadership();
        net.Deliver();

        Assert.Equal(3UL, net.Leader);
    }

    [Fact]
    public void A_transfer_that_cannot_finish_is_abandoned_after_an_election_timeout()
    {
        var net = new ScenarioNetwork(3);
        net.Elect(1);
        net.Isolate(3);

        net.Node(1).TransferLeadership(3);
        Assert.Equal(ProposeStatus.Busy, net.Propose(1, "x").Status);
        net.TickAll(net.ElectionTicks);

        Assert.Equal(0UL, net.Node(1).LeadTransferee);
        Assert.Equal(ProposeStatus.Accepted, net.Propose(1, "y").Status);
    }

    [Theory]
    [InlineData(1UL, "already the leader")]
    [InlineData(9UL, "not a voter")]
    public void A_transfer_to_an_impossible_target_is_refused(ulong target, string reason)
    {
        var net = new ScenarioNetwork(3);
        net.Elect(1);

        var result = net.Node(1).TransferLeadership(target);

        Assert.Equal(ProposeStatus.Invalid, result.Status);
        Assert.Contains(reason, result.Reason);
    }
}
