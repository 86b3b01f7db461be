using Raft.Actors.Consensus;

namespace Raft.Actors.Tests.Consensus;

/// <summary>Election jitter from a seeded <see cref="Random"/>: the same seed replays the same timeouts.</summary>
internal sealed class SeededRandom(int seed) : IRandomSource
{
    private readonly Random _random = new(seed);

    public int Next(int maxExclusive) => _random.Next(maxExclusive);
}

/// <summary>Always the same jitter, to put an election timeout exactly at a bound.</summary>
internal sealed class FixedRandom(int value) : IRandomSource
{
    public int Next(int maxExclusive) => Math.Min(value, maxExclusive - 1);
}
