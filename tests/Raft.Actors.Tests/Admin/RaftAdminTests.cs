using System.Diagnostics;
using Raft.Actors.Admin;
using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Runtime;
using Raft.Actors.StateMachines;
using Raft.Actors.Tests.Runtime;
using Xunit;

namespace Raft.Actors.Tests.Admin;

/// <summary>Every <see cref="RaftAdmin"/> operation, as an operator would run it against a live group.</summary>
public sealed class RaftAdminTests
{
    private static readonly RaftAdminOptions s_options = new() { Timeout = TimeSpan.FromSeconds(15), CatchUpLag = 0 };

    private static RaftAdmin AdminOf(ReplicaCluster cluster) =>
        new(cluster.Group, id => cluster.Replicas.GetValueOrDefault(id), [1, 2, 3], s_options);

    private static async Task<string?> ReadAsync(RaftReplica replica, string key) =>
        KvResult.ReadValue((await replica.ReadAsync(ReplicaCluster.Get(key))).Span);

    private static async Task WriteAsync(RaftAdmin admin, ReplicaCluster cluster, string key, string value)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await cluster.Replicas[await admin.GetLeaderAsync()].ProposeAsync(ReplicaCluster.Put(key, value));
                return;
            }
            catch (NotLeaderException) when (clock.Elapsed < TimeSpan.FromSeconds(10))
            {
            }
        }
    }

    [Fact]
    public async Task Add_peer_joins_a_new_node_as_a_learner_and_promotes_it_once_caught_up()
    {
        await using var cluster = await ReplicaCluster.StartAsync();
        var admin = AdminOf(cluster);
        await WriteAsync(admin, cluster, "a", "1");
        await cluster.StartJoiningReplicaAsync(4);

        await admin.AddPeerAsync(4);

        Assert.Equal([1UL, 2, 3, 4], await admin.GetPeersAsync());
        Assert.Empty(await admin.GetLearnersAsync());
        Assert.Equal("1", await ReadAsync(cluster.Replicas[4], "a"));
    }

    [Fact]
    public async Task Remove_peer_removes_a_follower_and_removing_the_leader_hands_leadership_over()
    {
        await using var cluster = await ReplicaCluster.StartAsync();
        var admin = AdminOf(cluster);
        var leader = await admin.GetLeaderAsync();
        var follower = new ulong[] { 1, 2, 3 }.First(id => id != leader);

        await admin.RemovePeerAsync(follower);
        await cluster.StopReplicaAsync(follower);
        Assert.DoesNotContain(follower, await admin.GetPeersAsync());

        await admin.RemovePeerAsync(leader);
        var successor = await admin.GetLeaderAsync();
        Assert.NotEqual(leader, successor);
        Assert.Equal([successor], await admin.GetPeersAsync());
        await ReadAsync(cluster.Replicas[successor], "a");

        var error = await Assert.ThrowsAsync<ArgumentException>(() => admin.RemovePeerAsync(9));
        Assert.Contains("not a voter", error.Message);
    }

    [Fact]
    public async Task Change_peers_replaces_two_voters_through_a_joint_configuration()
    {
        await using var cluster = await ReplicaCluster.StartAsync();
        var admin = AdminOf(cluster);
        await WriteAsync(admin, cluster, "a", "1");
        await cluster.StartJoiningReplicaAsync(4);
        await cluster.StartJoiningReplicaAsync(5);
        var keep = await admin.GetLeaderAsync();

        await admin.ChangePeersAsync([keep, 4, 5]);

        Assert.Equal(new[] { keep, 4UL, 5UL }.Order().ToArray(), await admin.GetPeersAsync());
        var status = await admin.GetStatusAsync(await admin.GetLeaderAsync());
        Assert.False(status.Configuration.IsJoint);
        Assert.Equal("1", await ReadAsync(cluster.Replicas[5], "a"));
    }

    [Fact]
    public async Task Learners_are_added_listed_reset_promoted_and_removed()
    {
        await using var cluster = await ReplicaCluster.StartAsync();
        var admin = AdminOf(cluster);
        foreach (var id in new ulong[] { 4, 5, 6 })
        {
            await cluster.StartJoiningReplicaAsync(id);
        }

        await admin.AddLearnersAsync([4, 5]);
        Assert.Equal([4UL, 5], await admin.GetLearnersAsync());
        await Eventually.Until(async () => (await admin.GetAliveLearnersAsync()).Count == 2, "both learners to answer");

        await admin.ResetLearnersAsync([5, 6]);
        Assert.Equal([5UL, 6], await admin.GetLearnersAsync());

        await admin.PromoteLearnerAsync(6);
        Assert.Equal([5UL], await admin.GetLearnersAsync());
        Assert.Contains(6UL, await admin.GetPeersAsync());

        await admin.RemoveLearnersAsync([5]);
        Assert.Empty(await admin.GetLearnersAsync());
        var error = await Assert.ThrowsAsync<ArgumentException>(() => admin.PromoteLearnerAsync(4));
        Assert.Contains("not a learner", error.Message);
    }

    [Fact]
    public async Task Transfer_leader_moves_leadership_and_alive_peers_leave_out_a_stopped_node()
    {
        await using var cluster = await ReplicaCluster.StartAsync();
        var admin = AdminOf(cluster);
        var leader = await admin.GetLeaderAsync();
        var target = new ulong[] { 1, 2, 3 }.First(id => id != leader);

        await admin.TransferLeaderAsync(target);
        Assert.Equal(target, await admin.GetLeaderAsync());

        var stopped = new ulong[] { 1, 2, 3 }.First(id => id != target);
        await cluster.StopReplicaAsync(stopped);
        await Eventually.Until(async () => !(await admin.GetAlivePeersAsync()).Contains(stopped), "the stopped node to drop out of the alive peers");
        Assert.Equal(2, (await admin.GetAlivePeersAsync()).Count);
        Assert.Equal(3, (await admin.GetPeersAsync()).Count);
    }

    [Fact]
    public async Task Snapshot_and_status_report_what_a_node_holds()
    {
        await using var cluster = await ReplicaCluster.StartAsync(snapshots: new ReplicaCluster.SnapshotSettings(Every: 1_000_000, Margin: 0));
        var admin = AdminOf(cluster);
        await WriteAsync(admin, cluster, "a", "1");
        var leader = await admin.GetLeaderAsync();

        var snapshot = await admin.SnapshotAsync(leader);
        var status = await admin.GetStatusAsync(leader);

        Assert.Equal(snapshot.Index, status.SnapshotIndex);
        Assert.Equal(RaftRole.Leader, status.Role);
        Assert.Equal(2, status.Followers.Count);
        Assert.All(status.Followers.Values, f => Assert.True(f.Lag <= status.LastIndex));
    }

    [Fact]
    public async Task Reset_peer_recovers_a_group_that_lost_its_majority()
    {
        await using var cluster = await ReplicaCluster.StartAsync();
        var admin = AdminOf(cluster);
        await WriteAsync(admin, cluster, "a", "1");
        var survivor = await admin.GetLeaderAsync();
        foreach (var id in new ulong[] { 1, 2, 3 }.Where(id => id != survivor))
        {
            await cluster.StopReplicaAsync(id);
        }

        await admin.ResetPeerAsync(survivor, [survivor]);

        Assert.Equal(survivor, await admin.GetLeaderAsync());
        await WriteAsync(admin, cluster, "b", "2");
        Assert.Equal("1", await ReadAsync(cluster.Replicas[survivor], "a"));
    }

    [Fact]
    public async Task Rebalance_spreads_the_leaders_of_three_groups_over_three_nodes()
    {
        var clusters = new List<ReplicaCluster>();
        try
        {
            for (ulong group = 1; group <= 3; group++)
            {
                clusters.Add(await ReplicaCluster.StartAsync(group: group));
            }

            var admins = clusters.Select(AdminOf).ToArray();
            foreach (var admin in admins)
            {
                await admin.TransferLeaderAsync(1);
                Assert.Equal(1UL, await admin.GetLeaderAsync());
            }

            var leaders = await LeaderBalancer.RebalanceAsync(admins);

            Assert.Equal([1UL, 2, 3], leaders.Values.Order().ToArray());
        }
        finally
        {
            foreach (var cluster in clusters)
            {
                await cluster.DisposeAsync();
            }
        }
    }
}
