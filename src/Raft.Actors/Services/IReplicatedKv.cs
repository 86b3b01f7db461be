namespace Raft.Actors.Services;

/// <summary>
/// A replicated, ordered key-value store (RheaKV's operations). Keys are strings ordered
/// ordinally (by UTF-16 code unit); values are bytes. Every write is one log entry, applied at
/// most once; reads are linearizable.
/// </summary>
/// <remarks>
/// <para>A write may carry a <see cref="FencingToken"/>: it then applies only while that token is
/// its lock's latest, and otherwise throws <see cref="FencingTokenRejectedException"/> having
/// changed nothing.</para>
/// <para>Failures are those of <see cref="IRaftGroupClient"/>: a write that throws
/// <see cref="Protocol.UnknownOutcomeException"/> may have applied.</para>
/// </remarks>
public interface IReplicatedKv
{
    /// <summary>The value of <paramref name="key"/>, or null.</summary>
    Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Sets <paramref name="key"/>.</summary>
    Task PutAsync(string key, ReadOnlyMemory<byte> value, FencingToken? fence = null, CancellationToken cancellationToken = default);

    /// <summary>Removes <paramref name="key"/>; true if it was there.</summary>
    Task<bool> DeleteAsync(string key, FencingToken? fence = null, CancellationToken cancellationToken = default);

    /// <summary>Sets <paramref name="key"/> unless it has a value; returns that value, or null when this put took effect.</summary>
    Task<byte[]?> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> value, FencingToken? fence = null, CancellationToken cancellationToken = default);

    /// <summary>Sets <paramref name="key"/> if its value equals <paramref name="expected"/> (null = absent); true if it did.</summary>
    Task<bool> CompareAndPutAsync(string key, ReadOnlyMemory<byte>? expected, ReadOnlyMemory<byte> value, FencingToken? fence = null, CancellationToken cancellationToken = default);

    /// <summary>Sets <paramref name="key"/> and returns the value it replaced (null = none).</summary>
    Task<byte[]?> GetAndPutAsync(string key, ReadOnlyMemory<byte> value, FencingToken? fence = null, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="limit"/> entries with keys in [<paramref name="startKey"/>, <paramref name="endKey"/>) (null = no end), in key order.</summary>
    Task<IReadOnlyList<KvEntry>> ScanAsync(string startKey, string? endKey, int limit = 1000, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="limit"/> entries whose keys start with <paramref name="prefix"/>, in key order.</summary>
    Task<IReadOnlyList<KvEntry>> ScanPrefixAsync(string prefix, int limit = 1000, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies <paramref name="operations"/> in order as one log entry, each seeing the ones
    /// before it, all or none: if a compare fails, nothing applies and the result names it.
    /// </summary>
    Task<KvBatchResult> BatchAsync(IReadOnlyList<KvOperation> operations, FencingToken? fence = null, CancellationToken cancellationToken = default);
}
