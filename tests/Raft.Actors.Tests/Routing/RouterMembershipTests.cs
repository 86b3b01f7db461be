using System.Collections.Concurrent;
using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Routing;
using Raft.Actors.Runtime;
using Raft.Actors.Services;
using Raft.Actors.StateMachines;
using Raft.Actors.Tests.Runtime;
using Xunit;

namespace Raft.Actors.Tests.Routing;

/// <summary>The router over three <see cref="RaftHost"/>s: it follows leader changes and membership changes.</summary>
public sealed class RouterMembershipTests
{
    private static async Task PutAsync(RaftRouter router, string key, string value, ProposalSessions sessions)
    {
        var command = new KvCommand(KvCommandType.Put, key, value).Encode();
        using var lease = sessions.Rent();
        await router.ForKey(System.Text.Encoding.UTF8.GetBytes(key)).ProposeAsync(command, lease.Id);
    }

    private static async Task<string?> GetAsync(RaftRouter router, string key)
    {
        var result = await router.ForKey(System.Text.Encoding.UTF8.GetBytes(key)).ReadAsync(new KvCommand(KvCommandType.Get, key).Encode());
        return KvResult.ReadValue(result.Span);
    }

    private static (RaftRouter Router, Recording Calls) RouterOver(HostCluster cluster)
    {
        var calls = new Recording(new LocalReplicaInvoker((node, group) => cluster.Hosts.GetValueOrDefault(node)?.GetReplica(group)));
        var router = new RaftRouter(new HashShardMap([1]), calls, HostCluster.Nodes, new() { Timeout = TimeSpan.FromSeconds(20), AttemptTimeout = TimeSpan.FromSeconds(2) });
        return (router, calls);
    }

    [Fact]
    public async Task After_a_node_is_removed_the_router_never_sends_it_another_request()
    {
        await using var cluster = await HostCluster.StartAsync(groups: 1);
        var (router, calls) = RouterOver(cluster);
        var sessions = new ProposalSessions();
        await Eventually.Until(() => cluster.LeaderOf(1) is not null, "a leader of group 1");

        // Make node 3 the leader, and the router's leader hint, before removing it: the case where a
        // stale route is most tempting.
        if (cluster.LeaderOf(1)!.NodeId != 3)
        {
            await cluster.LeaderOf(1)!.TransferLeadershipAsync(3);
        }

        await Eventually.Until(() => cluster.LeaderOf(1)?.NodeId == 3, "node 3 leading");
        await PutAsync(router, "before", "1", sessions);
        Assert.Equal(3UL, router.ForGroup(1).Route.Leader);

        await cluster.LeaderOf(1)!.ChangeMembershipAsync(ConfChange.Of(new ConfChangeItem(ConfChangeType.Remove, 3)));
        await Eventually.Until(() => cluster.Hosts.Values.Where(h => h.NodeId != 3).All(h => h.GetReplica(1)!.Members.SequenceEqual([1UL, 2UL]) && h.GetReplica(1)!.Leader is 1 or 2), "nodes 1 and 2 to lead without node 3");

        // The removed replica keeps running (as a removed node does until an operator stops it) and
        // can still answer; the router must learn the new membership and leave it alone.
        await PutAsync(router, "after", "0", sessions);
        var learnedAt = calls.Count;
        Assert.Equal([1UL, 2UL], router.ForGroup(1).Route.Members.Order());
        for (var i = 0; i < 20; i++)
        {
            await PutAsync(router, $"k{i}", $"{i}", sessions);
            Assert.Equal($"{i}", await GetAsync(router, $"k{i}"));
        }

        // Leader changes between the remaining members do not bring node 3 back either.
        var leader = cluster.LeaderOf(1) ?? (await WaitLeaderAmongAsync(cluster, 1, 2));
        await leader.TransferLeadershipAsync(leader.NodeId == 1 ? 2UL : 1UL);
        for (var i = 0; i < 5; i++)
        {
            await PutAsync(router, $"t{i}", $"{i}", sessions);
        }

        Assert.DoesNotContain(3UL, calls.Nodes.Skip(learnedAt));
        Assert.Equal("0", await GetAsync(router, "after"));
    }

    [Fact]
    public async Task The_router_follows_a_leader_change_with_at_most_one_redirect()
    {
        await using var cluster = await HostCluster.StartAsync(groups: 1);
        var (router, calls) = RouterOver(cluster);
        var sessions = new ProposalSessions();
        await Eventually.Until(() => cluster.LeaderOf(1) is not null, "a leader of group 1");
        await PutAsync(router, "a", "1", sessions);
        var old = router.ForGroup(1).Route.Leader;
        Assert.Equal(cluster.LeaderOf(1)!.NodeId, old);

        var target = old == 1 ? 2UL : 1UL;
        await cluster.LeaderOf(1)!.TransferLeadershipAsync(target);
        await Eventually.Until(() => cluster.LeaderOf(1)?.NodeId == target, $"node {target} leading");

        var before = calls.Count;
        await PutAsync(router, "b", "2", sessions);
        Assert.Equal([old, target], calls.Nodes.Skip(before));
        Assert.Equal(target, router.ForGroup(1).Route.Leader);
    }

    [Fact]
    public async Task Keys_of_many_groups_reach_their_own_groups()
    {
        await using var cluster = await HostCluster.StartAsync(groups: 4);
        var shards = new HashShardMap([1, 2, 3, 4]);
        var router = new RaftRouter(shards, new LocalReplicaInvoker((node, group) => cluster.Hosts.GetValueOrDefault(node)?.GetReplica(group)), HostCluster.Nodes);
        var sessions = new ProposalSessions();
        for (var i = 0; i < 40; i++)
        {
            await PutAsync(router, $"key-{i}", $"{i}", sessions);
        }

        for (var i = 0; i < 40; i++)
        {
            var key = $"key-{i}";
            var owner = shards.GroupOf(System.Text.Encoding.UTF8.GetBytes(key));
            foreach (var group in cluster.Groups)
            {
                // Read every group directly: the key is in its owner only.
                var replica = cluster.LeaderOf(group) ?? throw new InvalidOperationException($"group {group} has no leader");
                var value = KvResult.ReadValue((await replica.ReadAsync(new KvCommand(KvCommandType.Get, key).Encode())).Span);
                Assert.Equal(group == owner ? $"{i}" : null, value);
            }
        }
    }

    private static async Task<RaftReplica> WaitLeaderAmongAsync(HostCluster cluster, params ulong[] nodes)
    {
        RaftReplica? leader = null;
        await Eventually.Until(() => (leader = nodes.Select(n => cluster.Hosts[n].GetReplica(1)!).FirstOrDefault(r => r.Role == RaftRole.Leader)) is not null, "a leader among the remaining members");
        return leader!;
    }

    /// <summary>Records which node every request went to.</summary>
    private sealed class Recording(IReplicaInvoker inner) : IReplicaInvoker
    {
        private readonly ConcurrentQueue<ulong> _nodes = new();

        public int Count => _nodes.Count;

        public ulong[] Nodes => [.. _nodes];

        public Task<ReplicaAnswer> InvokeAsync(ulong node, ReplicaRequest request, CancellationToken cancellationToken)
        {
            _nodes.Enqueue(node);
            return inner.InvokeAsync(node, request, cancellationToken);
        }
    }
}
