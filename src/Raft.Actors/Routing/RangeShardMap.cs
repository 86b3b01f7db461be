namespace Raft.Actors.Routing;

/// <summary>
/// Splits the key space into contiguous ranges, each owned by one group: a key belongs to the
/// range with the greatest start at or below it (keys compare as unsigned bytes). Keeps keys
/// that sort together in one group, so a scan of a prefix reaches few groups.
/// </summary>
public sealed class RangeShardMap : IShardMap
{
    private readonly byte[][] _starts;
    private readonly ulong[] _owners;

    /// <summary>Creates the map from each range's first key and owner; one range must start at the empty key.</summary>
    /// <exception cref="ArgumentException">No range starts at the empty key, two ranges start at the same key, or a group is 0.</exception>
    public RangeShardMap(IEnumerable<(byte[] Start, ulong Group)> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var sorted = ranges.OrderBy(r => r.Start, ByteOrder.Instance).ToArray();
        if (sorted.Length == 0 || sorted[0].Start.Length != 0)
        {
            throw new ArgumentException("A range shard map needs a range starting at the empty key, so that every key has an owner.", nameof(ranges));
        }

        for (var i = 0; i < sorted.Length; i++)
        {
            if (sorted[i].Group == 0)
            {
                throw new ArgumentException($"The range starting at 0x{Convert.ToHexString(sorted[i].Start)} names group 0.", nameof(ranges));
            }

            if (i > 0 && sorted[i].Start.AsSpan().SequenceEqual(sorted[i - 1].Start))
            {
                throw new ArgumentException($"Two ranges start at 0x{Convert.ToHexString(sorted[i].Start)}.", nameof(ranges));
            }
        }

        _starts = [.. sorted.Select(r => r.Start)];
        _owners = [.. sorted.Select(r => r.Group)];
        Groups = [.. _owners.Distinct()];
    }

    /// <inheritdoc />
    public IReadOnlyList<ulong> Groups { get; }

    /// <inheritdoc />
    public ulong GroupOf(ReadOnlySpan<byte> key)
    {
        // Binary search for the last start <= key; the first start (empty) is <= every key.
        int low = 0, high = _starts.Length - 1;
        while (low < high)
        {
            var mid = (low + high + 1) / 2;
            if (_starts[mid].AsSpan().SequenceCompareTo(key) <= 0)
            {
                low = mid;
            }
            else
            {
                high = mid - 1;
            }
        }

        return _owners[low];
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
