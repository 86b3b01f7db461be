namespace Raft.Actors.Services;

/// <summary>
/// A named, replicated counter that hands out ranges of numbers: each range follows the previous
/// one, and no number is handed out twice, across leader changes and restarts of the whole group
/// (the counter is replicated state, in the log and in snapshots). A call that fails with an
/// unknown outcome may leave its range unused: ranges never overlap, but may have gaps.
/// </summary>
/// <remarks>Thread-safe: concurrent callers get disjoint ranges.</remarks>
public interface ISequence
{
    /// <summary>The sequence's name.</summary>
    string Name { get; }

    /// <summary>Takes the next <paramref name="step"/> numbers: [n, n + step).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is below 1.</exception>
    Task<SequenceRange> NextAsync(long step = 1, CancellationToken cancellationToken = default);

    /// <summary>The first number the next range will start at (linearizable read); 0 before any.</summary>
    Task<long> GetCurrentAsync(CancellationToken cancellationToken = default);
}
