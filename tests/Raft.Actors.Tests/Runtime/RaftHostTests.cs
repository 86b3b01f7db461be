using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Runtime;
using Raft.Actors.StateMachines;
using Raft.Actors.Tests.Storage;
using Xunit;

namespace Raft.Actors.Tests.Runtime;

/// <summary>Many groups on one node: shared ticks, quiescence, node-level liveness, one outbox.</summary>
public sealed class RaftHostTests
{
    private static async Task WriteEveryGroupAsync(HostCluster cluster, string value)
    {
        await Eventually.Until(() => cluster.Groups.All(g => cluster.LeaderOf(g) is not null), "every group to elect a leader");
        foreach (var group in cluster.Groups)
        {
            await cluster.LeaderOf(group)!.ProposeAsync(ReplicaCluster.Put("k", value));
        }
    }

    [Fact]
    public async Task Idle_groups_go_quiet_and_only_node_heartbeats_flow()
    {
        await using var cluster = await HostCluster.StartAsync(groups: 20);
        await WriteEveryGroupAsync(cluster, "1");

        await Eventually.Until(() => cluster.Hosts.Values.All(h => h.AwakeCount == 0), "every group to go quiet");
        cluster.Sent.Clear();
        await Task.Delay(300);

        var sent = cluster.Sent.SelectMany(s => s.Messages).ToArray();
        Assert.NotEmpty(sent);
        Assert.All(sent, m => Assert.Equal(MessageType.NodeHeartbeat, m.Type));
        Assert.All(cluster.Hosts.Values, h => Assert.Equal(20, h.GroupCount));
    }

    [Fact]
    public async Task A_write_wakes_a_quiet_group_which_commits_and_goes_quiet_again()
    {
        await using var cluster = await HostCluster.StartAsync(groups: 5);
        await WriteEveryGroupAsync(cluster, "1");
        await Eventually.Until(() => cluster.Hosts.Values.All(h => h.AwakeCount == 0), "every group to go quiet");
        var leader = cluster.LeaderOf(3)!;

        await leader.ProposeAsync(ReplicaCluster.Put("k", "2"));

        foreach (var host in cluster.Hosts.Values)
        {
            Assert.Equal("2", KvResult.ReadValue((await host.GetReplica(3)!.ReadAsync(ReplicaCluster.Get("k"))).Span));
        }

        await Eventually.Until(() => cluster.Hosts.Values.All(h => h.AwakeCount == 0), "the group to go quiet again");
    }

    [Fact]
    public async Task When_a_node_stops_the_quiet_groups_it_led_elect_new_leaders_and_the_others_stay_quiet()
    {
        await using var cluster = await HostCluster.StartAsync(groups: 12);
        await WriteEveryGroupAsync(cluster, "1");
        await Eventually.Until(() => cluster.Hosts.Values.All(h => h.AwakeCount == 0), "every group to go quiet");
        var ledByOne = cluster.Groups.Where(g => cluster.LeaderOf(g)!.NodeId == 1).ToArray();
        var ledByOthers = cluster.Groups.Except(ledByOne).ToArray();

        await cluster.StopHostAsync(1);

        await Eventually.Until(() => ledByOne.All(g => cluster.LeaderOf(g) is { } l && l.NodeId != 1), "the groups node 1 led to elect new leaders");
        foreach (var group in ledByOne)
        {
            await cluster.LeaderOf(group)!.ProposeAsync(ReplicaCluster.Put("k", "2"));
        }

        Assert.All(ledByOthers, g => Assert.All(cluster.Hosts.Values, h => Assert.True(h.GetReplica(g)!.IsAsleep, $"group {g} woke on node {h.NodeId}")));
    }

    [Fact]
    public async Task Messages_of_many_groups_share_one_send_per_pass()
    {
        await using var cluster = await HostCluster.StartAsync(groups: 30);
        await WriteEveryGroupAsync(cluster, "1");

        var batches = cluster.Sent.Where(s => s.Messages.Any(m => m.Type != MessageType.NodeHeartbeat)).ToArray();

        Assert.Contains(batches, b => b.Messages.Select(m => m.Group).Distinct().Count() > 1);
        Assert.True(batches.Sum(b => b.Messages.Length) > 2 * batches.Length, $"{batches.Sum(b => b.Messages.Length)} messages in {batches.Length} sends");
    }

    [Fact]
    public async Task Groups_added_without_a_store_share_the_nodes_log_and_keep_their_writes_across_a_restart()
    {
        using var directory = new StorageTestDirectory("host-shared-log");
        await using (var cluster = await HostCluster.StartAsync(groups: 10, dataRoot: directory.Path))
        {
            await WriteEveryGroupAsync(cluster, "durable");
            foreach (var host in cluster.Hosts.Values)
            {
                Assert.Equal(10, host.SharedLog!.GroupCount);
                Assert.Equal(Path.Combine(directory.Path, $"node{host.NodeId}", "log"), host.SharedLog.Directory);
                Assert.All(Directory.GetFiles(host.SharedLog.Directory, "*.wal"), f => Assert.Equal(HostCluster.LogSegmentSize, new FileInfo(f).Length));
            }
        }

        await using var restarted = await HostCluster.StartAsync(groups: 10, dataRoot: directory.Path);
        await Eventually.Until(() => restarted.Groups.All(g => restarted.LeaderOf(g) is not null), "every group to elect a leader");
        foreach (var group in restarted.Groups)
        {
            var value = await restarted.LeaderOf(group)!.ReadAsync(ReplicaCluster.Get("k"));
            Assert.Equal("durable", KvResult.ReadValue(value.Span));
        }
    }

    [Fact]
    public async Task A_group_added_without_a_store_needs_a_data_directory()
    {
        await using var cluster = await HostCluster.StartAsync(groups: 0);
        var host = cluster.Hosts[1];
        var options = new RaftReplicaOptions { Node = new RaftNodeOptions { Id = 1, Group = 1, InitialConfiguration = ConfState.OfVoters(HostCluster.Nodes) } };
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.AddGroupAsync(options, new KvStateMachine()));
        Assert.Contains("DataDirectory", error.Message);
        Assert.Null(host.SharedLog);
    }

    [Fact]
    public void A_shared_log_segment_size_out_of_range_is_refused_naming_the_option()
    {
        var error = Assert.Throws<ArgumentException>(() => new RaftHostOptions { NodeId = 1, LogSegmentSize = 100_000 }.Validate());
        Assert.Contains("LogSegmentSize", error.Message);
    }

    [Fact]
    public async Task A_message_for_a_group_not_hosted_here_is_counted_and_dropped()
    {
        await using var cluster = await HostCluster.StartAsync(groups: 1);

        cluster.Hosts[1].Deliver(new RaftMessage { Type = MessageType.Heartbeat, Group = 99, From = 2, To = 1, Term = 1 });

        Assert.Equal(1, cluster.Hosts[1].Undeliverable);
    }
}
