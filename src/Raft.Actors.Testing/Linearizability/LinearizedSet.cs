namespace Raft.Actors.Testing.Linearizability;

/// <summary>
/// The set of operations linearized so far, as a bitset with an incrementally maintained
/// Zobrist hash: each member contributes a fixed pseudo-random 64-bit word, XORed in on add and
/// out on remove, so hashing the set costs O(1) per search step instead of O(n / 64).
/// </summary>
internal sealed class LinearizedSet(int capacity)
{
    private readonly ulong[] _words = new ulong[(capacity + 63) / 64];

    /// <summary>Hash of the current members; equal sets have equal hashes.</summary>
    public ulong Hash { get; private set; }

    /// <summary>The members as bits, for comparing and copying into the cache.</summary>
    public ulong[] Words => _words;

    public void Add(int op)
    {
        _words[op >> 6] |= 1UL << op;
        Hash ^= Zobrist(op);
    }

    public void Remove(int op)
    {
        _words[op >> 6] &= ~(1UL << op);
        Hash ^= Zobrist(op);
    }

    public bool Contains(int op) => (_words[op >> 6] & (1UL << op)) != 0;

    // SplitMix64 of the index: well-mixed, fixed, so the search is deterministic.
    private static ulong Zobrist(int op)
    {
        var z = (ulong)op + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
