namespace Raft.Actors.Routing;

/// <summary>Which group owns a key. Implementations are immutable and thread-safe.</summary>
public interface IShardMap
{
    /// <summary>Every group keys map to.</summary>
    IReadOnlyList<ulong> Groups { get; }

    /// <summary>The group that owns <paramref name="key"/>; the same key always maps to the same group.</summary>
    ulong GroupOf(ReadOnlySpan<byte> key);
}
