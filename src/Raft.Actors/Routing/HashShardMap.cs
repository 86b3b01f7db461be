using System.IO.Hashing;

namespace Raft.Actors.Routing;

/// <summary>
/// Spreads keys evenly over a fixed list of groups by a 64-bit hash (XxHash64, seed 0, stable
/// across processes and versions). Good for point lookups (grain ids, lock names); a scan
/// across keys needs <see cref="RangeShardMap"/>.
/// </summary>
public sealed class HashShardMap : IShardMap
{
    private readonly ulong[] _groups;

    /// <summary>Maps keys onto <paramref name="groups"/>, in this order: the same list gives the same mapping.</summary>
    /// <exception cref="ArgumentException">No group, a group 0 or a group twice.</exception>
    public HashShardMap(IEnumerable<ulong> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        _groups = [.. groups];
        if (_groups.Length == 0 || _groups.Contains(0UL) || _groups.Distinct().Count() != _groups.Length)
        {
            throw new ArgumentException($"A hash shard map needs at least one group, none 0 and none twice (was [{string.Join(", ", _groups)}]).", nameof(groups));
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<ulong> Groups => _groups;

    /// <inheritdoc />
    public ulong GroupOf(ReadOnlySpan<byte> key) => _groups[XxHash64.HashToUInt64(key) % (ulong)_groups.Length];
}
