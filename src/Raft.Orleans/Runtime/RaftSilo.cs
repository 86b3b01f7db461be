using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Raft.Actors.Protocol;
using Raft.Actors.Routing;
using Raft.Actors.Runtime;
using Raft.Orleans.Membership;

namespace Raft.Orleans.Runtime;

/// <summary>
/// This silo's place in the Raft cluster, from dependency injection: its node id, the
/// <see cref="RaftRouter"/> that reaches any group wherever its leader runs, and — while the
/// silo's grain service runs — the <see cref="RaftHost"/> with this silo's replicas.
/// </summary>
/// <remarks>Thread-safe. One per silo.</remarks>
public sealed class RaftSilo
{
    private readonly Dictionary<ulong, ulong[]> _founders;
    private volatile RaftHost? _host;

    internal RaftSilo(ILocalSiloDetails silo, IOptions<RaftOptions> options, RaftRouter router)
    {
        var o = options.Value;
        SiloName = silo.Name;
        NodeId = o.NodeIdOf(silo.Name);
        Mode = o.Membership;
        Members = [.. o.Members.Select(o.NodeIdOf)];
        Groups = o.AllGroups();
        Router = router;
        _founders = Mode == RaftMembershipMode.Automatic
            ? ReplicaPlacement.Plan(Groups, Members, o.ReplicationFactor)
            : Groups.ToDictionary(g => g, _ => Members.ToArray());
    }

    /// <summary>Whether the groups' members follow the Orleans cluster or are left to the admin API.</summary>
    public RaftMembershipMode Mode { get; }

    /// <summary>This silo's name, from which its node id comes.</summary>
    public string SiloName { get; }

    /// <summary>This silo's stable Raft node id.</summary>
    public ulong NodeId { get; }

    /// <summary>
    /// The node ids of the configured members (<see cref="RaftOptions.Members"/>): in manual mode
    /// every group is replicated on them; in automatic mode the groups are founded on them.
    /// </summary>
    public IReadOnlyList<ulong> Members { get; }

    /// <summary>Every group id: 1…<see cref="RaftOptions.Groups"/>, then <see cref="RaftOptions.ServicesGroupId"/> when the services are on.</summary>
    public IReadOnlyList<ulong> Groups { get; }

    /// <summary>True when this silo is one of the configured <see cref="Members"/>.</summary>
    public bool IsMember => Members.Contains(NodeId);

    /// <summary>
    /// The voters <paramref name="group"/> was founded on: <see cref="Members"/> in manual mode;
    /// in automatic mode <see cref="RaftOptions.ReplicationFactor"/> of them, placed by
    /// rendezvous hashing. The same on every silo and across restarts.
    /// </summary>
    public ConfState FoundingConfiguration(ulong group) => ConfState.OfVoters(_founders.TryGetValue(group, out var voters) ? voters : []);

    /// <summary>Reaches every group from this silo (the grain storage writes and reads through it).</summary>
    public RaftRouter Router { get; }

    /// <summary>This silo's replicas: set while the grain service runs, null before it starts and after it stops.</summary>
    public RaftHost? Host => _host;

    internal void Attach(RaftHost? host) => _host = host;
}
