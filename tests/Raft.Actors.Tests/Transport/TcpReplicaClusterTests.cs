using Raft.Actors.StateMachines;
using Raft.Actors.Tests.Runtime;
using Xunit;

namespace Raft.Actors.Tests.Transport;

public sealed class TcpReplicaClusterTests
{
    [Fact]
    public async Task Three_replicas_over_tcp_elect_a_leader_commit_writes_and_a_restarted_node_catches_up()
    {
        await using var cluster = await TcpReplicaCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync();
        for (var i = 0; i < 10; i++)
        {
            await leader.ProposeAsync(ReplicaCluster.Put($"k{i}", $"v{i}"));
        }

        // Stop a follower, write while it is away, bring it back on its old port.
        var follower = cluster.Replicas.Values.First(r => r.NodeId != leader.NodeId).NodeId;
        await cluster.StopNodeAsync(follower);
        for (var i = 10; i < 20; i++)
        {
            await leader.ProposeAsync(ReplicaCluster.Put($"k{i}", $"v{i}"));
        }

        await cluster.RestartNodeAsync(follower);
        var leaderNow = await cluster.WaitForLeaderAsync();
        await leaderNow.ProposeAsync(ReplicaCluster.Put("last", "done"));

        var restarted = cluster.Replicas[follower];
        await TcpTestKit.EventuallyAsync(
            () => restarted.AppliedIndex >= leaderNow.AppliedIndex,
            () => $"node {follower} applied {restarted.AppliedIndex}, the leader {leaderNow.AppliedIndex}");
        Assert.Equal("v15", KvResult.ReadValue((await restarted.ReadAsync(ReplicaCluster.Get("k15"))).Span));
        Assert.Equal("done", KvResult.ReadValue((await restarted.ReadAsync(ReplicaCluster.Get("last"))).Span));

        // The leader talks to both followers; followers talk to each other only if they had to
        // (dialing is lazy). Wherever two nodes are connected, both use the same one connection.
        Assert.Equal(2, cluster.Transports[leaderNow.NodeId].Statistics.OpenConnections);
        foreach (var (id, transport) in cluster.Transports)
        {
            foreach (var (peer, other) in cluster.Transports)
            {
                if (peer != id && transport.ConnectionTo(peer) is { } connection)
                {
                    await TcpTestKit.EventuallyAsync(
                        () => other.ConnectionTo(id) is { } back && Equals(back.RemoteEndPoint, connection.LocalEndPoint),
                        () => $"node {peer} uses the connection node {id} uses ({connection}); it uses {other.ConnectionTo(id)}");
                }
            }
        }
    }
}
