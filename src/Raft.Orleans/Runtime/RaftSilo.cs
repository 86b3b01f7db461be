using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Raft.Actors.Routing;
using Raft.Actors.Runtime;

namespace Raft.Orleans.Runtime;

/// <summary>
/// This silo's place in the Raft cluster, from dependency injection: its node id, the
/// <see cref="RaftRouter"/> that reaches any group wherever its leader runs, and — while the
/// silo's grain service runs — the <see cref="RaftHost"/> with this silo's replicas.
/// </summary>
/// <remarks>Thread-safe. One per silo.</remarks>
public sealed class RaftSilo
{
    private volatile RaftHost? _host;

    internal RaftSilo(ILocalSiloDetails silo, IOptions<RaftOptions> options, RaftRouter router)
    {
        SiloName = silo.Name;
        NodeId = options.Value.NodeIdOf(silo.Name);
        Members = [.. options.Value.Members.Select(options.Value.NodeIdOf)];
        Groups = [.. Enumerable.Range(1, options.Value.Groups).Select(g => (ulong)g)];
        Router = router;
    }

    /// <summary>This silo's name, from which its node id comes.</summary>
    public string SiloName { get; }

    /// <summary>This silo's stable Raft node id.</summary>
    public ulong NodeId { get; }

    /// <summary>The node ids of the configured members: every group is replicated on them.</summary>
    public IReadOnlyList<ulong> Members { get; }

    /// <summary>Every group id (1…<see cref="RaftOptions.Groups"/>).</summary>
    public IReadOnlyList<ulong> Groups { get; }

    /// <summary>True when this silo hosts a replica of every group.</summary>
    public bool IsMember => Members.Contains(NodeId);

    /// <summary>Reaches every group from this silo (the grain storage writes and reads through it).</summary>
    public RaftRouter Router { get; }

    /// <summary>This silo's replicas: set while the grain service runs, null before it starts and after it stops.</summary>
    public RaftHost? Host => _host;

    internal void Attach(RaftHost? host) => _host = host;
}
