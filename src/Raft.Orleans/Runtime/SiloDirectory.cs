using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Raft.Orleans.Runtime;

/// <summary>
/// Where each Raft node lives now: node id → the <see cref="SiloAddress"/> of the active silo
/// whose name maps to it, from <see cref="IClusterMembershipService"/>. Rebuilt whenever the
/// membership version changes; when a restarted silo and its dead predecessor are both listed,
/// the newer generation wins.
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class SiloDirectory(IClusterMembershipService membership, IOptions<RaftOptions> options)
{
    private volatile Map? _map;

    /// <summary>The active silo that is <paramref name="node"/>, or null when none is (not joined yet, dead, or unknown).</summary>
    public SiloAddress? SiloOf(ulong node) => Current().Silos.GetValueOrDefault(node);

    /// <summary>The nodes whose newest silo is active, with that silo.</summary>
    public IReadOnlyDictionary<ulong, SiloAddress> Active => Current().Silos;

    /// <summary>The nodes whose newest silo the cluster lists but not as active (joining, stopping, or declared dead).</summary>
    public IReadOnlySet<ulong> Inactive => Current().Inactive;

    private Map Current()
    {
        var snapshot = membership.CurrentSnapshot;
        var map = _map;
        if (map is not null && map.Version == snapshot.Version)
        {
            return map;
        }

        var newest = new Dictionary<ulong, ClusterMember>();
        foreach (var member in snapshot.Members.Values)
        {
            if (string.IsNullOrEmpty(member.Name))
            {
                continue;
            }

            var node = options.Value.NodeIdOf(member.Name);
            if (!newest.TryGetValue(node, out var known) || known.SiloAddress.Generation < member.SiloAddress.Generation)
            {
                newest[node] = member;
            }
        }

        map = new Map(
            snapshot.Version,
            newest.Where(m => m.Value.Status == SiloStatus.Active).ToDictionary(m => m.Key, m => m.Value.SiloAddress),
            newest.Where(m => m.Value.Status != SiloStatus.Active).Select(m => m.Key).ToHashSet());
        _map = map;
        return map;
    }

    private sealed record Map(MembershipVersion Version, Dictionary<ulong, SiloAddress> Silos, HashSet<ulong> Inactive);
}
