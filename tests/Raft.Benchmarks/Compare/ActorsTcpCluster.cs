using System.Net;
using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Runtime;
using Raft.Actors.StateMachines;
using Raft.Actors.Storage;
using Raft.Actors.Transport.Tcp;

namespace Raft.Benchmarks.Compare;

/// <summary>
/// Raft.Actors: three <see cref="RaftReplica"/>s of one group, each with its own
/// <see cref="TcpTransport"/> on loopback and its own <see cref="FileLogStore"/> (every appended
/// batch is fdatasync'ed before the replica acknowledges it), applying KV puts.
/// </summary>
internal sealed class ActorsTcpCluster : IComparedCluster
{
    private const ulong Group = 1;

    private readonly Dictionary<ulong, RaftReplica> _replicas = [];
    private readonly List<TcpTransport> _transports = [];
    private RaftReplica? _leader;

    public string Name => "raft.actors";

    public static async Task<ActorsTcpCluster> StartAsync(string directory, CancellationToken cancellationToken)
    {
        ulong[] ids = [1, 2, 3];
        var cluster = new ActorsTcpCluster();
        var endPoints = new Dictionary<ulong, IPEndPoint>();
        foreach (var id in ids)
        {
            var transport = new TcpTransport(
                new TcpTransportOptions { ClusterId = "compare", NodeId = id, ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0) },
                message =>
                {
                    RaftReplica? replica;
                    lock (cluster._replicas)
                    {
                        cluster._replicas.TryGetValue(id, out replica);
                    }

                    replica?.Deliver(message);
                });
            await transport.StartAsync(cancellationToken);
            cluster._transports.Add(transport);
            endPoints[id] = transport.LocalEndPoint!;
        }

        foreach (var (transport, id) in cluster._transports.Zip(ids))
        {
            foreach (var (other, endPoint) in endPoints)
            {
                if (other != id)
                {
                    transport.SetPeer(other, endPoint);
                }
            }
        }

        foreach (var (transport, id) in cluster._transports.Zip(ids))
        {
            var store = await FileLogStore.OpenAsync(Path.Combine(directory, $"node{id}"), cancellationToken: cancellationToken);
            var options = new RaftReplicaOptions { Node = new RaftNodeOptions { Id = id, Group = Group, InitialConfiguration = ConfState.OfVoters(ids) } };
            var replica = new RaftReplica(options, store, new KvStateMachine(), transport);
            lock (cluster._replicas)
            {
                cluster._replicas[id] = replica;
            }

            await replica.StartAsync(cancellationToken);
        }

        return cluster;
    }

    public async Task WaitForLeaderAsync(CancellationToken cancellationToken)
    {
        while ((_leader = FindLeader()) is null)
        {
            await Task.Delay(10, cancellationToken);
        }
    }

    public ReadOnlyMemory<byte> MakeCommand(int writer, int bytes)
    {
        // A KV put whose encoding is the entry size: pad the value until the command is that long.
        var key = $"k{writer}";
        var overhead = new KvCommand(KvCommandType.Put, key, "").Encode().Length;
        var value = new string((char)('a' + (writer % 26)), Math.Max(1, bytes - overhead));
        return new KvCommand(KvCommandType.Put, key, value).Encode();
    }

    public async Task<bool> ProposeAsync(ReadOnlyMemory<byte> command, CancellationToken cancellationToken)
    {
        var leader = _leader ?? (_leader = FindLeader());
        if (leader is null)
        {
            return false;
        }

        try
        {
            await leader.ProposeAsync(command, cancellationToken: cancellationToken);
            return true;
        }
        catch (NotLeaderException)
        {
            _leader = null;
            return false;
        }
        catch (UnknownOutcomeException) when (!cancellationToken.IsCancellationRequested)
        {
            // A proposal timeout: counted as not committed, the writer tries again.
            return false;
        }
    }

    /// <remarks>A stopped replica disposes its store.</remarks>
    public async ValueTask DisposeAsync()
    {
        foreach (var replica in _replicas.Values)
        {
            await replica.StopAsync();
        }

        foreach (var transport in _transports)
        {
            await transport.DisposeAsync();
        }
    }

    private RaftReplica? FindLeader()
    {
        lock (_replicas)
        {
            foreach (var replica in _replicas.Values)
            {
                if (replica.Role == RaftRole.Leader)
                {
                    return replica;
                }
            }
        }

        return null;
    }
}
