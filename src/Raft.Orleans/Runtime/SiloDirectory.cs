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

    private Map Current()
    {
        var snapshot = membership.CurrentSnapshot;
        var map = _map;
        if (map is not null && map.Version == snapshot.Version)
        {
            return map;
        }

        var silos = new Dictionary<ulong, SiloAddress>();
        foreach (var member in snapshot.Members.Values)
        {
            if (member.Status != SiloStatus.Active || string.IsNullOrEmpty(member.Name))
            {
                continue;
            }

            var node = options.Value.NodeIdOf(member.Name);
            if (!silos.TryGetValue(node, out var known) || known.Generation < member.SiloAddress.Generation)
            {
                silos[node] = member.SiloAddress;
            }
        }

        map = new Map(snapshot.Version, silos);
        _map = map;
        return map;
    }

    private sealed record Map(MembershipVersion Version, Dictionary<ulong, SiloAddress> Silos);
}
