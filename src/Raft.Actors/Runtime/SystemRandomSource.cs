using Raft.Actors.Consensus;

namespace Raft.Actors.Runtime;

/// <summary>Election jitter from <see cref="Random"/>; seeded for reproducible runs, shared otherwise.</summary>
public sealed class SystemRandomSource(int? seed = null) : IRandomSource
{
    private readonly Random _random = seed is { } s ? new Random(s) : Random.Shared;

    /// <inheritdoc />
    public int Next(int maxExclusive) => _random.Next(maxExclusive);
}
