using System.Collections.Concurrent;
using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Runtime;
using Raft.Actors.StateMachines;
using Raft.Actors.Storage;

namespace Raft.Actors.Tests.Runtime;

/// <summary>Three <see cref="RaftHost"/>s in one process, each hosting a replica of every group, on an in-memory network that records what is sent.</summary>
internal sealed class HostCluster : IAsyncDisposable
{
    public static readonly ulong[] Nodes = [1, 2, 3];

    private readonly Dictionary<(ulong Node, ulong Group), InMemoryLogStore> _stores = [];

    public InMemoryNetwork Network { get; } = new();

    public Dictionary<ulong, RaftHost> Hosts { get; } = [];

    /// <summary>Every batch handed to the transport, by sending node.</summary>
    public ConcurrentQueue<(ulong From, RaftMessage[] Messages)> Sent { get; } = new();

    public ulong[] Groups { get; private set; } = [];

    /// <summary>When set, each node keeps its groups' logs in one shared log under it (node{id}); else in memory.</summary>
    public string? DataRoot { get; private init; }

    /// <summary>Segment size of the nodes' shared logs.</summary>
    public const long LogSegmentSize = 1L << 20;

    public static async Task<HostCluster> StartAsync(int groups, string? dataRoot = null)
    {
        var cluster = new HostCluster { Groups = [.. Enumerable.Range(1, groups).Select(g => (ulong)g)], DataRoot = dataRoot };
        foreach (var node in Nodes)
        {
            await cluster.StartHostAsync(node);
        }

        return cluster;
    }

    public async Task StartHostAsync(ulong node)
    {
        var host = new RaftHost(
            new RaftHostOptions
            {
                NodeId = node,
                TickInterval = TimeSpan.FromMilliseconds(10),
                QuiesceAfterTicks = 10,
                LivenessInterval = TimeSpan.FromMilliseconds(100),
                LivenessTimeout = TimeSpan.FromSeconds(2),
                DataDirectory = DataRoot is null ? null : Path.Combine(DataRoot, $"node{node}"),
                LogSegmentSize = LogSegmentSize,
            },
            new Recording(Network.TransportFor(node), node, Sent));
        Hosts[node] = host;
        Network.Register(node, host);
        foreach (var group in Groups)
        {
            var options = new RaftReplicaOptions { Node = new RaftNodeOptions { Id = node, Group = group, InitialConfiguration = ConfState.OfVoters(Nodes) } };
            if (DataRoot is not null)
            {
                await host.AddGroupAsync(options, new KvStateMachine());
                continue;
            }

            var store = _stores.TryGetValue((node, group), out var existing) ? existing : _stores[(node, group)] = new InMemoryLogStore();
            await host.AddGroupAsync(options, new ReplicaCluster.NonDisposingStore(store), new KvStateMachine());
        }
    }

    public async Task StopHostAsync(ulong node)
    {
        Network.Unregister(node);
        await Hosts[node].DisposeAsync();
        Hosts.Remove(node);
    }

    /// <summary>The replica that leads <paramref name="group"/> among the running hosts, once all running replicas agree.</summary>
    public RaftReplica? LeaderOf(ulong group)
    {
        var replicas = Hosts.Values.Select(h => h.GetReplica(group)!).ToArray();
        var leaders = replicas.Where(r => r.Role == RaftRole.Leader).ToArray();
        return leaders.Length == 1 && replicas.All(r => r.Leader == leaders[0].NodeId) ? leaders[0] : null;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Hosts.Keys.ToArray())
        {
            await StopHostAsync(node);
        }
    }

    private sealed class Recording(IRaftTransport inner, ulong node, ConcurrentQueue<(ulong, RaftMessage[])> sent) : IRaftTransport
    {
        public void Send(IReadOnlyList<RaftMessage> messages)
        {
            sent.Enqueue((node, [.. messages]));
            inner.Send(messages);
        }
    }
}
