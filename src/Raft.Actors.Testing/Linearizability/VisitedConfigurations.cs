namespace Raft.Actors.Testing.Linearizability;

/// <summary>
/// The search's cache of configurations already reached: the known operations linearized, the
/// unknown ones linearized, and the register state.
/// </summary>
/// <remarks>
/// <para>
/// What can still be linearized depends only on the configuration, not on the order that
/// produced it, so a configuration seen before has been explored (and failed) or is being
/// explored further up the stack, and the search prunes it (Lowe, "Testing for
/// linearizability", §4).
/// </para>
/// <para>
/// Unknown operations are compared by inclusion, not equality. With the same known operations
/// and state, a configuration that has used up more unknown operations can do nothing that one
/// which used fewer cannot: the unused ones are optional and never expire. So a configuration
/// is pruned when a visited one with the same known set and state used a subset of its unknown
/// operations. Without this, every subset of the pending unknown writes that the history could
/// have absorbed became its own configuration at every later point.
/// </para>
/// </remarks>
internal sealed class VisitedConfigurations
{
    private readonly Dictionary<KnownPart, List<ulong[]>> _seen = new(KnownPartComparer.Instance);

    /// <summary>Number of configurations recorded.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Records the configuration; false if it was visited before or is covered by one that was
    /// (same known set and state, a subset of its unknown operations). Copies the sets only when
    /// it is new.
    /// </summary>
    public bool TryAdd(LinearizedSet known, LinearizedSet unknown, int state)
    {
        var probe = KnownPart.Of(known.Words, state, known.Hash);
        if (!_seen.TryGetValue(probe, out var unknownSets))
        {
            unknownSets = [];
            _seen.Add(probe.Detached(), unknownSets);
        }

        var used = unknown.Words;
        for (var i = unknownSets.Count - 1; i >= 0; i--)
        {
            if (IsSubset(unknownSets[i], used))
            {
                return false;
            }

            // The new configuration covers this one from now on; dropping it keeps lists short.
            if (IsSubset(used, unknownSets[i]))
            {
                unknownSets.RemoveAt(i);
            }
        }

        unknownSets.Add((ulong[])used.Clone());
        Count++;
        return true;
    }

    private static bool IsSubset(ulong[] subset, ulong[] superset)
    {
        for (var i = 0; i < subset.Length; i++)
        {
            if ((subset[i] & ~superset[i]) != 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The known set and the state. The set is kept as the words between the first that is not
    /// all ones and the last that is not zero: every operation that returned before the pending
    /// window is linearized and none invoked after it is, so that span is a word or two wide
    /// however long the history, and it identifies the set exactly.
    /// </summary>
    private readonly struct KnownPart
    {
        private readonly ulong[] _words;
        private readonly int _offset;

        private KnownPart(ulong[] words, int offset, int start, int length, int state, ulong hash)
        {
            _words = words;
            _offset = offset;
            Start = start;
            Length = length;
            State = state;
            Hash = hash;
        }

        /// <summary>Index of the first word not all ones, in the full set.</summary>
        public int Start { get; }

        public int Length { get; }

        public int State { get; }

        public ulong Hash { get; }

        public ReadOnlySpan<ulong> Span => _words.AsSpan(_offset, Length);

        /// <summary>A view of <paramref name="words"/>, which the caller goes on changing.</summary>
        public static KnownPart Of(ulong[] words, int state, ulong hash)
        {
            var start = 0;
            while (start < words.Length && words[start] == ulong.MaxValue)
            {
                start++;
            }

            var end = words.Length;
            while (end > start && words[end - 1] == 0)
            {
                end--;
            }

            return new KnownPart(words, start, start, end - start, state, hash);
        }

        /// <summary>A copy that owns its words, to store.</summary>
        public KnownPart Detached() => new(Span.ToArray(), 0, Start, Length, State, Hash);
    }

    private sealed class KnownPartComparer : IEqualityComparer<KnownPart>
    {
        public static readonly KnownPartComparer Instance = new();

        public bool Equals(KnownPart x, KnownPart y) =>
            x.State == y.State && x.Hash == y.Hash && x.Start == y.Start && x.Span.SequenceEqual(y.Span);

        public int GetHashCode(KnownPart c)
        {
            var h = c.Hash ^ ((ulong)(uint)c.State * 0x9E3779B97F4A7C15UL);
            return (int)(h ^ (h >> 32));
        }
    }
}
