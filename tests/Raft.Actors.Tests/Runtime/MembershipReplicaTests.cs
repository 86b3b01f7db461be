using Raft.Actors.Protocol;
using Raft.Actors.Runtime;
using Raft.Actors.StateMachines;
using Raft.Actors.Tests.Storage;
using Xunit;
using static Raft.Actors.Protocol.ConfChangeType;

namespace Raft.Actors.Tests.Runtime;

/// <summary>Membership operations on running replicas, as an operator performs them.</summary>
public sealed class MembershipReplicaTests
{
    private static ConfChange Change(ConfChangeType type, ulong node) => ConfChange.Of(new ConfChangeItem(type, node));

    private static async Task<string?> ReadAsync(RaftReplica replica, string key) =>
        KvResult.ReadValue((await replica.ReadAsync(ReplicaCluster.Get(key))).Span);

    [Fact]
    public async Task A_replica_whose_disk_was_wiped_is_refused_with_a_clear_error_and_the_group_goes_on()
    {
        using var directory = new StorageTestDirectory("wiped");
        await using var cluster = await ReplicaCluster.StartAsync(dataDirectory: directory.Path);
        var leader = await cluster.WaitForLeaderAsync();
        await leader.ProposeAsync(ReplicaCluster.Put("a", "1"));
        var follower = cluster.AnyFollower(leader).NodeId;
        await Eventually.Until(async () => (await leader.GetStatusAsync()).Configuration.DiskOf(follower) != 0, "the follower's disk to be recorded");

        await cluster.StopReplicaAsync(follower);
        Directory.Delete(Path.Combine(directory.Path, $"node-{follower}"), recursive: true);
        await cluster.StartReplicaAsync(follower);
        var wiped = cluster.Replicas[follower];
        await Eventually.Until(() => Task.FromResult(wiped.Fault is not null), "the wiped replica to be refused");

        var refused = Assert.IsType<NodeRefusedException>(wiped.Fault);
        Assert.Equal(follower, refused.NodeId);
        Assert.Contains("new id", refused.Message);
        var ex = await Assert.ThrowsAsync<RaftReplicaFaultedException>(() => wiped.ProposeAsync(ReplicaCluster.Put("b", "2")));
        Assert.Same(refused, ex.InnerException);

        await leader.ProposeAsync(ReplicaCluster.Put("b", "2"));
        Assert.Equal("2", await ReadAsync(leader, "b"));
    }

    [Fact]
    public async Task A_new_replica_joins_as_a_learner_is_promoted_and_an_old_voter_is_removed()
    {
        await using var cluster = await ReplicaCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync();
        await leader.ProposeAsync(ReplicaCluster.Put("a", "1"));
        await cluster.StartJoiningReplicaAsync(4);

        await leader.ChangeMembershipAsync(Change(AddLearner, 4));
        await Eventually.Until(() => Task.FromResult(cluster.Replicas[4].AppliedIndex >= leader.AppliedIndex), "the learner to catch up");
        await leader.ChangeMembershipAsync(Change(AddVoter, 4));
        var old = cluster.AnyFollower(leader).NodeId;
        await leader.ChangeMembershipAsync(Change(Remove, old));
        await cluster.StopReplicaAsync(old);

        var conf = (await leader.GetStatusAsync()).Configuration;
        Assert.Equal(new ulong[] { 1, 2, 3, 4 }.Where(id => id != old).ToArray(), conf.Voters.ToArray());
        Assert.Empty(conf.Learners);
        await leader.ProposeAsync(ReplicaCluster.Put("b", "2"));
        Assert.Equal("1", await ReadAsync(cluster.Replicas[4], "a"));
        Assert.Equal("2", await ReadAsync(cluster.Replicas[4], "b"));
    }

    [Fact]
    public async Task Membership_changes_are_refused_off_the_leader_and_when_they_cannot_apply()
    {
        await using var cluster = await ReplicaCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync();

        var notLeader = await Assert.ThrowsAsync<NotLeaderException>(() => cluster.AnyFollower(leader).ChangeMembershipAsync(Change(Remove, 3)));
        Assert.Equal(leader.NodeId, notLeader.LeaderHint);
        var invalid = await Assert.ThrowsAsync<ArgumentException>(() => leader.ChangeMembershipAsync(Change(Remove, 9)));
        Assert.Contains("node 9 is not a member", invalid.Message);
    }

    [Fact]
    public async Task Leadership_moves_to_the_named_replica()
    {
        await using var cluster = await ReplicaCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync();
        var target = cluster.AnyFollower(leader).NodeId;

        await leader.TransferLeadershipAsync(target);

        Assert.Equal(target, (await cluster.WaitForLeaderAsync()).NodeId);
        await cluster.Replicas[target].ProposeAsync(ReplicaCluster.Put("a", "1"));
    }

    [Fact]
    public async Task A_group_that_lost_its_majority_is_recovered_by_an_unsafe_reset_of_a_survivor()
    {
        await using var cluster = await ReplicaCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync();
        await leader.ProposeAsync(ReplicaCluster.Put("a", "1"));
        var survivor = leader.NodeId;
        foreach (var id in cluster.Replicas.Keys.Where(id => id != survivor).ToArray())
        {
            await cluster.StopReplicaAsync(id);
        }

        await cluster.Replicas[survivor].UnsafeResetConfigurationAsync(ConfState.OfVoters(survivor));

        Assert.Equal(survivor, (await cluster.WaitForLeaderAsync()).NodeId);
        await cluster.Replicas[survivor].ProposeAsync(ReplicaCluster.Put("b", "2"));
        Assert.Equal("1", await ReadAsync(cluster.Replicas[survivor], "a"));
        Assert.Equal([survivor], (await cluster.Replicas[survivor].GetStatusAsync()).Configuration.Voters.ToArray());
    }
}
