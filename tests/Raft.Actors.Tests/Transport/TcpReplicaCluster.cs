using System.Diagnostics;
using System.Net;
using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Runtime;
using Raft.Actors.StateMachines;
using Raft.Actors.Storage;
using Raft.Actors.Transport.Tcp;

namespace Raft.Actors.Tests.Transport;

/// <summary>Replicas of one group, each with its own <see cref="TcpTransport"/> on loopback.</summary>
internal sealed class TcpReplicaCluster : IAsyncDisposable
{
    private const ulong Group = 7;

    private readonly Dictionary<ulong, InMemoryLogStore> _stores = [];
    private readonly Dictionary<ulong, IPEndPoint> _endPoints = [];

    public Dictionary<ulong, RaftReplica> Replicas { get; } = [];

    public Dictionary<ulong, TcpTransport> Transports { get; } = [];

    public static async Task<TcpReplicaCluster> StartAsync(int size = 3)
    {
        var cluster = new TcpReplicaCluster();
        for (ulong id = 1; id <= (ulong)size; id++)
        {
            cluster._stores[id] = new InMemoryLogStore();
        }

        // Transports first, on port 0, so every node can be told where the others listen.
        foreach (var id in cluster._stores.Keys)
        {
            await cluster.StartTransportAsync(id, TcpTestKit.AnyLoopbackPort);
        }

        foreach (var id in cluster._stores.Keys)
        {
            foreach (var (other, endPoint) in cluster._endPoints)
            {
                if (other != id)
                {
                    cluster.Transports[id].SetPeer(other, endPoint);
                }
            }
        }

        foreach (var id in cluster._stores.Keys)
        {
            await cluster.StartReplicaAsync(id);
        }

        return cluster;
    }

    /// <summary>Stops a node's replica and transport; its store keeps what it persisted, as a disk would.</summary>
    public async Task StopNodeAsync(ulong id)
    {
        await Replicas[id].StopAsync();
        await Transports[id].DisposeAsync();
        Replicas.Remove(id);
        Transports.Remove(id);
    }

    /// <summary>Starts a stopped node again on the port it had, with the store it had.</summary>
    public async Task RestartNodeAsync(ulong id)
    {
        await StartTransportAsync(id, _endPoints[id]);
        foreach (var (other, endPoint) in _endPoints)
        {
            if (other != id)
            {
                Transports[id].SetPeer(other, endPoint);
            }
        }

        await StartReplicaAsync(id);
    }

    public async Task<RaftReplica> WaitForLeaderAsync()
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TcpTestKit.Patience)
        {
            var leaders = Replicas.Values.Where(r => r.Role == RaftRole.Leader).ToArray();
            if (leaders.Length == 1 && Replicas.Values.All(r => r.Leader == leaders[0].NodeId))
            {
                return leaders[0];
            }

            await Task.Delay(10);
        }

        throw new TimeoutException($"No single leader: {string.Join(", ", Replicas.Values.Select(r => $"{r.NodeId}:{r.Role}/t{r.Term}/l{r.Leader}"))}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in Replicas.Values)
        {
            await replica.StopAsync();
        }

        foreach (var transport in Transports.Values)
        {
            await transport.DisposeAsync();
        }
    }

    private async Task StartTransportAsync(ulong id, IPEndPoint listen)
    {
        var options = TcpTestKit.Options(id, listen: listen);

        // The replica is built after its transport: the sink looks it up when a message arrives.
        var transport = new TcpTransport(options, message =>
        {
            if (Replicas.TryGetValue(id, out var replica))
            {
                replica.Deliver(message);
            }
        });
        await transport.StartAsync();
        Transports[id] = transport;
        _endPoints[id] = transport.LocalEndPoint!;
    }

    private async Task StartReplicaAsync(ulong id)
    {
        var options = new RaftReplicaOptions
        {
            Node = new RaftNodeOptions { Id = id, Group = Group, InitialConfiguration = ConfState.OfVoters([.. _stores.Keys]) },
            TickInterval = TimeSpan.FromMilliseconds(10),
            ProposalTimeout = TimeSpan.FromSeconds(5),
        };
        var replica = new RaftReplica(options, _stores[id], new KvStateMachine(), Transports[id]);
        lock (Replicas)
        {
            Replicas[id] = replica;
        }

        await replica.StartAsync();
    }
}
