using Raft.Actors.Consensus;

namespace Raft.Actors.Testing.Simulation;

/// <summary>
/// A small seeded generator (SplitMix64) whose sequence is fixed by the seed on every
/// platform and runtime version, so a failing seed replays exactly.
/// </summary>
public sealed class SimRandom(ulong seed) : IRandomSource
{
    private ulong _state = seed;

    /// <summary>Next raw 64-bit value.</summary>
    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <inheritdoc />
    public int Next(int maxExclusive) => maxExclusive <= 0 ? 0 : (int)(NextUInt64() % (ulong)maxExclusive);

    /// <summary>A value in <c>[min, maxExclusive)</c>.</summary>
    public long Between(long min, long maxExclusive) => maxExclusive <= min ? min : min + (long)(NextUInt64() % (ulong)(maxExclusive - min));

    /// <summary>A value in <c>[0, 1)</c>.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public bool Chance(double p) => NextDouble() < p;

    /// <summary>A new generator whose sequence is derived from this one's.</summary>
    public SimRandom Fork() => new(NextUInt64());
}
