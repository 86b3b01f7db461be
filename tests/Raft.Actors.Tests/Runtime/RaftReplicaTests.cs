using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Runtime;
using Raft.Actors.StateMachines;
using Xunit;

namespace Raft.Actors.Tests.Runtime;

public sealed class RaftReplicaTests
{
    [Fact]
    public async Task A_proposal_on_the_leader_returns_the_state_machine_result_once_committed()
    {
        await using var cluster = await ReplicaCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync();

        var swapped = await leader.ProposeAsync(ReplicaCluster.Cas("k", null, "v1"));
        var refused = await leader.ProposeAsync(ReplicaCluster.Cas("k", null, "v2"));

        Assert.True(KvResult.ReadBool(swapped.Span));
        Assert.False(KvResult.ReadBool(refused.Span));
        Assert.Equal("v1", KvResult.ReadValue((await leader.ReadAsync(ReplicaCluster.Get("k"))).Span));
    }

    [Fact]
    public async Task A_proposal_on_a_follower_is_refused_with_the_leader_as_hint()
    {
        await using var cluster = await ReplicaCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.AnyFollower(leader);

        var error = await Assert.ThrowsAsync<NotLeaderException>(() => follower.ProposeAsync(ReplicaCluster.Put("k", "v")));

        Assert.Equal(leader.NodeId, error.LeaderHint);
    }

    [Fact]
    public async Task A_retried_proposal_with_the_same_id_applies_at_most_once()
    {
        await using var cluster = await ReplicaCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync();
        var id = new ProposalId(ClientId: 42, Sequence: 1);

        var first = await leader.ProposeAsync(ReplicaCluster.Cas("k", null, "v1"), id);
        await leader.ProposeAsync(ReplicaCluster.Put("k", "other"), new ProposalId(43, 1));
        var retry = await leader.ProposeAsync(ReplicaCluster.Cas("k", null, "v1"), id);

        // Applied again, the CAS would fail (the key is set) and the put of client 43 would be undone by nothing;
        // deduplicated, the retry answers as the first application did and changes nothing.
        Assert.True(KvResult.ReadBool(first.Span));
        Assert.True(KvResult.ReadBool(retry.Span));
        Assert.Equal("other", KvResult.ReadValue((await leader.ReadAsync(ReplicaCluster.Get("k"))).Span));
    }

    [Fact]
    public async Task A_proposal_that_times_out_reports_an_unknown_outcome_and_may_still_commit()
    {
        // Without CheckQuorum the cut-off leader stays leader however slow this machine is, and
        // its heartbeats keep the followers from electing another: the only outcome is a timeout.
        await using var cluster = await ReplicaCluster.StartAsync(proposalTimeout: TimeSpan.FromMilliseconds(300), checkQuorum: false);
        var leader = await cluster.WaitForLeaderAsync();
        foreach (var other in cluster.Replicas.Keys.Where(id => id != leader.NodeId))
        {
            cluster.Network.Cut(other, leader.NodeId);
        }

        // The followers receive the entry but their acknowledgements never arrive: it is replicated, not known committed.
        await Assert.ThrowsAsync<UnknownOutcomeException>(() => leader.ProposeAsync(ReplicaCluster.Put("k", "maybe"), new ProposalId(7, 1)));
        cluster.Network.Heal();

        // Once the acknowledgements flow again the entry commits; a read sees it from then on.
        var leaderNow = await cluster.WaitForLeaderAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string? value = null;
        while (value is null && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            value = KvResult.ReadValue((await leaderNow.ReadAsync(ReplicaCluster.Get("k"))).Span);
            await Task.Delay(10);
        }

        Assert.Equal("maybe", value);
    }

    [Fact]
    public async Task A_linearizable_read_on_a_follower_sees_every_acknowledged_write()
    {
        await using var cluster = await ReplicaCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.AnyFollower(leader);

        for (var i = 0; i < 20; i++)
        {
            await leader.ProposeAsync(ReplicaCluster.Put("k", $"v{i}"));
            Assert.Equal($"v{i}", KvResult.ReadValue((await follower.ReadAsync(ReplicaCluster.Get("k"))).Span));
        }
    }

    [Fact]
    public async Task After_the_leader_stops_a_new_leader_serves_every_acknowledged_write()
    {
        await using var cluster = await ReplicaCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync();
        for (var i = 0; i < 30; i++)
        {
            await leader.ProposeAsync(ReplicaCluster.Put($"k{i}", $"v{i}"));
        }

        await cluster.StopReplicaAsync(leader.NodeId);
        var newLeader = await cluster.WaitForLeaderAsync();

        Assert.NotEqual(leader.NodeId, newLeader.NodeId);
        Assert.True(newLeader.Term > leader.Term);
        for (var i = 0; i < 30; i++)
        {
            Assert.Equal($"v{i}", KvResult.ReadValue((await newLeader.ReadAsync(ReplicaCluster.Get($"k{i}"))).Span));
        }
    }

    [Fact]
    public async Task A_restarted_replica_rebuilds_its_state_from_its_log()
    {
        await using var cluster = await ReplicaCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.AnyFollower(leader);
        await leader.ProposeAsync(ReplicaCluster.Put("k", "before restart"));
        await follower.ReadAsync(ReplicaCluster.Get("k"));

        await cluster.StopReplicaAsync(follower.NodeId);
        await cluster.StartReplicaAsync(follower.NodeId);
        var restarted = cluster.Replicas[follower.NodeId];
        await cluster.WaitForLeaderAsync();

        Assert.Equal("before restart", KvResult.ReadValue((await restarted.ReadAsync(ReplicaCluster.Get("k"))).Span));
        Assert.Equal("before restart", ((KvStateMachine)cluster.StateMachines[follower.NodeId]).Get("k"));
    }

    [Fact]
    public async Task A_throwing_state_machine_faults_the_replica_with_a_clear_error_instead_of_stalling()
    {
        await using var cluster = await ReplicaCluster.StartAsync(stateMachine: () => new ThrowingStateMachine());
        var leader = await cluster.WaitForLeaderAsync();

        var error = await Assert.ThrowsAsync<RaftReplicaFaultedException>(() => leader.ProposeAsync(new byte[] { 1 }));

        Assert.Contains("apply failed on purpose", error.Message);
        Assert.NotNull(leader.Fault);
        await Assert.ThrowsAsync<RaftReplicaFaultedException>(() => leader.ProposeAsync(new byte[] { 2 }));
    }

    [Fact]
    public void Invalid_options_are_rejected_naming_the_option()
    {
        var options = new RaftReplicaOptions
        {
            Node = new RaftNodeOptions { Id = 1, InitialConfiguration = ConfState.OfVoters(1), ElectionTicks = 1, HeartbeatTicks = 1 },
        };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("ElectionTicks", error.Message);
    }

    private sealed class ThrowingStateMachine : IRaftStateMachine
    {
        public ReadOnlyMemory<byte> Apply(Entry entry) => throw new InvalidOperationException("apply failed on purpose");

        public ReadOnlyMemory<byte> Query(ReadOnlyMemory<byte> query) => ReadOnlyMemory<byte>.Empty;

        public IStateMachineSnapshot TakeSnapshot() => throw new NotSupportedException();

        public void Restore(Stream snapshot) => throw new NotSupportedException();
    }
}
