using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Xunit;

namespace Raft.Actors.Tests.Consensus.Scenarios;

/// <summary>Lease-based reads (thesis §6.4.1): answered locally while a quorum's promise not to vote holds.</summary>
public sealed class LeaseReadTests
{
    private static readonly ScenarioOptions s_lease = new() { LeaseReads = true, ElectionTicks = 10 };

    private static ScenarioNetwork LeaderWithLease()
    {
        var net = new ScenarioNetwork(3, s_lease);
        net.Elect(1);
        net.TickAll(1);
        return net;
    }

    [Fact]
    public void A_read_within_the_lease_is_answered_without_a_quorum_round()
    {
        var net = LeaderWithLease();
        var sent = net.Sent.Count;

        Assert.True(net.ReadIndex(1, requestId: 7));
        net.Deliver();

        Assert.Equal(new ReadState(7, net.Node(1).CommitIndex), Assert.Single(net.ReadStates(1)));
        Assert.DoesNotContain(net.Sent.Skip(sent), m => m.Type == MessageType.Heartbeat && !m.Context.IsEmpty);
    }

    [Fact]
    public void The_lease_ends_an_election_timeout_minus_the_drift_bound_after_the_last_acknowledged_heartbeat()
    {
        var net = LeaderWithLease();
        net.Isolate(1);

        net.Tick(1, 10 - 2 - 1);
        Assert.True(net.ReadIndex(1, requestId: 1));
        net.Deliver();
        Assert.Single(net.ReadStates(1));

        net.Tick(1, 1);
        Assert.True(net.ReadIndex(1, requestId: 2));
        net.Deliver();
        Assert.Single(net.ReadStates(1)); // read 2 waits for a quorum that cannot answer
    }

    [Fact]
    public void Without_the_drift_bound_the_lease_lasts_a_whole_election_timeout()
    {
        var net = new ScenarioNetwork(3, s_lease with { PlantedBugs = PlantedBug.LeaseNoDrift });
        net.Elect(1);
        net.TickAll(1);
        net.Isolate(1);

        net.Tick(1, 10 - 1);
        Assert.True(net.ReadIndex(1, requestId: 1));
        net.Deliver();

        Assert.Single(net.ReadStates(1));
    }

    [Fact]
    public void A_follower_that_restarts_keeps_the_promise_it_gave_before_the_crash()
    {
        // Found by the membership simulation's lease race: node 2 acknowledged node 1's lease,
        // crashed and came straight back. Knowing of no leader, it voted for node 3 at once, and
        // node 1 went on answering reads from its lease while node 3 committed writes.
        var net = LeaderWithLease();
        net.Isolate(1);
        net.Restart(2);
        var before = net.Delivered.Count;

        net.Campaign(3);
        net.Deliver();

        Assert.NotEqual(RaftRole.Leader, net.Node(3).Role);
        Assert.DoesNotContain(net.Delivered.Skip(before), m => m.From == 2 && m.Type is MessageType.PreVoteResponse or MessageType.VoteResponse && !m.Reject);

        // An election timeout later by its own clock, node 2 may vote again.
        net.Tick(2, 10);
        net.Campaign(3);
        net.Deliver();
        Assert.True(net.Leader is 2 or 3, net.ToString());
        net.AssertSafe();
    }

    [Fact]
    public void A_node_starting_on_an_empty_disk_votes_at_once_even_with_lease_reads()
    {
        // It cannot have promised anything: a new group elects without waiting.
        var net = new ScenarioNetwork(3, s_lease);

        net.Elect(1);
    }

    [Fact]
    public void No_lease_reads_during_a_leadership_transfer()
    {
        var net = LeaderWithLease();
        using (net.Isolate(3))
        {
            net.Node(1).TransferLeadership(3);
            var sent = net.Sent.Count;
            Assert.True(net.ReadIndex(1, requestId: 1));
            net.Deliver();

            // The read went through a quorum round, not the lease.
            Assert.Contains(net.Sent.Skip(sent), m => m.Type == MessageType.Heartbeat && !m.Context.IsEmpty);
            Assert.Single(net.ReadStates(1));
        }
    }

    [Fact]
    public void A_leader_that_asked_for_a_transfer_serves_no_lease_read_again_in_its_term()
    {
        // TimeoutNow makes the target campaign with votes that set leases aside. If it arrives
        // late, after the leader gave the transfer up and went back to its lease, the target
        // wins while the leader still answers reads from that lease.
        var net = LeaderWithLease();
        using (net.Hold(m => m.Type == MessageType.TimeoutNow))
        {
            Assert.Equal(ProposeStatus.Accepted, net.Node(1).TransferLeadership(2).Status);
            net.TickAll(10); // the transfer is abandoned; heartbeats keep being acknowledged
        }

        Assert.Equal(0UL, net.Node(1).LeadTransferee);
        using (net.Drop(m => m.To == 1))
        {
            Assert.Equal(1, net.Release());
            net.Deliver();
            Assert.Equal(RaftRole.Leader, net.Node(2).Role);

            var sent = net.Sent.Count;
            Assert.True(net.ReadIndex(1, requestId: 9));
            net.Deliver();

            Assert.Empty(net.ReadStates(1));
            Assert.Contains(net.Sent.Skip(sent), m => m.From == 1 && m.Type == MessageType.Heartbeat && !m.Context.IsEmpty);
        }

        net.AssertSafe();
    }

    [Fact]
    public void Lease_reads_require_check_quorum()
    {
        var options = new RaftNodeOptions { Id = 1, InitialConfiguration = ConfState.OfVoters(1, 2, 3), LeaseReads = true, CheckQuorum = false };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("requires CheckQuorum", error.Message);
    }
}
