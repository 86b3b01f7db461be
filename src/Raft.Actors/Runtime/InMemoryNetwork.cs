using System.Collections.Concurrent;
using Raft.Actors.Protocol;

namespace Raft.Actors.Runtime;

/// <summary>
/// Replicas of one process talking through memory, with links that tests can cut. Each
/// replica gets its own <see cref="IRaftTransport"/> from <see cref="TransportFor"/>.
/// Thread-safe.
/// </summary>
public sealed class InMemoryNetwork
{
    private readonly ConcurrentDictionary<ulong, IRaftMessageSink> _nodes = new();
    private readonly ConcurrentDictionary<(ulong From, ulong To), bool> _cut = new();

    /// <summary>Makes <paramref name="replica"/> reachable as its node id.</summary>
    public void Register(RaftReplica replica)
    {
        ArgumentNullException.ThrowIfNull(replica);
        Register(replica.NodeId, replica);
    }

    /// <summary>Makes <paramref name="node"/> (a replica, or a <see cref="RaftHost"/> for all its groups) reachable as <paramref name="nodeId"/>.</summary>
    public void Register(ulong nodeId, IRaftMessageSink node)
    {
        ArgumentNullException.ThrowIfNull(node);
        _nodes[nodeId] = node;
    }

    /// <summary>Makes a node unreachable (its replica stopped or crashed).</summary>
    public void Unregister(ulong nodeId) => _nodes.TryRemove(nodeId, out _);

    /// <summary>The transport a replica on <paramref name="nodeId"/> sends through.</summary>
    public IRaftTransport TransportFor(ulong nodeId) => new Transport(this, nodeId);

    /// <summary>Drops every message from <paramref name="from"/> to <paramref name="to"/> (one way).</summary>
    public void Cut(ulong from, ulong to) => _cut[(from, to)] = true;

    /// <summary>Cuts every link to and from <paramref name="nodeId"/>.</summary>
    public void Isolate(ulong nodeId)
    {
        foreach (var other in _nodes.Keys)
        {
            if (other != nodeId)
            {
                Cut(nodeId, other);
                Cut(other, nodeId);
            }
        }
    }

    /// <summary>Restores every link.</summary>
    public void Heal() => _cut.Clear();

    private void Deliver(ulong from, IReadOnlyList<RaftMessage> messages)
    {
        foreach (var m in messages)
        {
            if (!_cut.ContainsKey((from, m.To)) && _nodes.TryGetValue(m.To, out var target))
            {
                target.Deliver(m);
            }
        }
    }

    private sealed class Transport(InMemoryNetwork network, ulong from) : IRaftTransport
    {
        public void Send(IReadOnlyList<RaftMessage> messages) => network.Deliver(from, messages);
    }
}
