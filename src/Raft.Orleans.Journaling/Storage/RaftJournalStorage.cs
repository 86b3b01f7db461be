using System.Buffers;
using System.Globalization;
using Orleans.Journaling;
using Orleans.Storage;
using Raft.Actors.Services;

namespace Raft.Orleans.Journaling.Storage;

/// <summary>
/// One journal kept in the replicated key-value store of the Raft services group: a header, the
/// metadata properties, and one chunk per append (see <see cref="JournalKeys"/>). Each append,
/// replace or delete is one Raft log entry (a <see cref="IReplicatedKv.BatchAsync"/>) that applies
/// only if the journal's header is still the one this instance last read or wrote: a writer that
/// missed another writer's change is refused with <see cref="InconsistentStateException"/> and
/// changes nothing. Reads are linearizable.
/// </summary>
/// <remarks>
/// One instance serves one journal owner (a grain activation's state manager), one operation at a
/// time. A write whose outcome is unknown (<see cref="Actors.Protocol.UnknownOutcomeException"/>)
/// may have applied; this instance then forgets what it knew, so its next write is refused unless
/// it reads again, and the state manager (which fences itself after a failed write) recovers the
/// actual outcome in a new activation.
/// </remarks>
internal sealed class RaftJournalStorage(IReplicatedKv kv, JournalKeys keys, string formatKey) : IJournalStorage
{
    /// <summary>Chunks after which the state manager is asked to compact (rewrite the journal as one snapshot).</summary>
    public const int CompactAfterChunks = 32;

    private const int ScanPage = 1000;

    /// <summary>The header bytes as last read or written here (null: no journal); meaningful while <see cref="_known"/>.</summary>
    private byte[]? _header;
    private bool _known;

    /// <summary>A write was refused or its outcome is unknown: no write until a read has seen the journal again.</summary>
    private bool _stale;
    private int _chunks;

    /// <inheritdoc />
    public bool IsCompactionRequested => _chunks >= CompactAfterChunks;

    /// <inheritdoc />
    public async ValueTask ReadAsync(IJournalStorageConsumer consumer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        while (true)
        {
            // One linearizable scan returns the header, the properties and the first chunks together.
            var page = await kv.ScanPrefixAsync(keys.Prefix, ScanPage, cancellationToken).ConfigureAwait(false);
            var headerBytes = page.FirstOrDefault(e => e.Key == keys.Data)?.Value;
            if (headerBytes is null)
            {
                Remember(null);
                consumer.Complete(null);
                return;
            }

            var header = JournalHeader.Decode(headerBytes);
            var properties = JournalProperties.Decode(page.FirstOrDefault(e => e.Key == keys.Properties)?.Value);
            var chunks = new List<ReadOnlyMemory<byte>>(header.Chunks);
            chunks.AddRange(page.Where(e => e.Key.StartsWith(keys.ChunksPrefix, StringComparison.Ordinal)).Select(e => (ReadOnlyMemory<byte>)e.Value));
            if (chunks.Count < header.Chunks)
            {
                // A long journal takes more than one scan: read the rest, then check that no write
                // came in between (else start over).
                while (chunks.Count < header.Chunks)
                {
                    var more = await kv.ScanAsync(keys.Chunk(chunks.Count), keys.Chunk(header.Chunks), ScanPage, cancellationToken).ConfigureAwait(false);
                    if (more.Count == 0)
                    {
                        break;
                    }

                    chunks.AddRange(more.Select(e => (ReadOnlyMemory<byte>)e.Value));
                }

                var again = await kv.GetAsync(keys.Data, cancellationToken).ConfigureAwait(false);
                if (again is null || !again.AsSpan().SequenceEqual(headerBytes))
                {
                    continue;
                }
            }

            if (chunks.Count != header.Chunks)
            {
                throw new InvalidOperationException($"Journal under '{keys.Prefix}': the header counts {header.Chunks} chunks, but {chunks.Count} were found.");
            }

            Remember(headerBytes);
            consumer.Read(chunks, Metadata(header, properties), complete: true);
            return;
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> CreateIfNotExistsAsync(IReadOnlyDictionary<string, string>? metadata, CancellationToken cancellationToken)
    {
        var header = new JournalHeader(1, 0, formatKey).Encode();
        var properties = new JournalProperties(1, metadata ?? new Dictionary<string, string>()).Encode();
        var result = await kv.BatchAsync([KvOperation.CompareAndPut(keys.Data, Expect(null), header), KvOperation.Put(keys.Properties, properties)], cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!result.Applied)
        {
            return false;
        }

        Remember(header);
        return true;
    }

    /// <inheritdoc />
    public async ValueTask<IJournalMetadata?> GetMetadataAsync(CancellationToken cancellationToken)
    {
        var page = await kv.ScanAsync(keys.Data, keys.ChunksPrefix, 2, cancellationToken).ConfigureAwait(false);
        var header = page.FirstOrDefault(e => e.Key == keys.Data)?.Value;
        return header is null ? null : Metadata(JournalHeader.Decode(header), JournalProperties.Decode(page.FirstOrDefault(e => e.Key == keys.Properties)?.Value));
    }

    /// <inheritdoc />
    public async ValueTask<IJournalMetadata?> UpdateMetadataAsync(IReadOnlyDictionary<string, string>? set, IEnumerable<string>? remove, string? expectedETag, CancellationToken cancellationToken)
    {
        var removed = remove?.ToArray() ?? [];
        while (true)
        {
            var page = await kv.ScanAsync(keys.Data, keys.ChunksPrefix, 2, cancellationToken).ConfigureAwait(false);
            var headerBytes = page.FirstOrDefault(e => e.Key == keys.Data)?.Value;
            if (headerBytes is null)
            {
                return null;
            }

            var propertiesBytes = page.FirstOrDefault(e => e.Key == keys.Properties)?.Value;
            var current = JournalProperties.Decode(propertiesBytes);
            if (expectedETag is not null && expectedETag != ETag(current))
            {
                return null;
            }

            var values = new Dictionary<string, string>(current.Values, StringComparer.Ordinal);
            foreach (var (key, value) in set ?? new Dictionary<string, string>())
            {
                values[key] = value;
            }

            foreach (var key in removed)
            {
                values.Remove(key);
            }

            var header = JournalHeader.Decode(headerBytes);
            if (values.Count == current.Values.Count && values.All(p => current.Values.TryGetValue(p.Key, out var v) && v == p.Value))
            {
                return Metadata(header, current);
            }

            var next = new JournalProperties(current.Version + 1, values);

            // Properties only: the data header is compared (the journal still exists) but not
            // changed, so a metadata update never fences the journal's writer.
            var result = await kv.BatchAsync(
                [KvOperation.CompareAndPut(keys.Data, Expect(headerBytes), headerBytes), KvOperation.CompareAndPut(keys.Properties, Expect(propertiesBytes), next.Encode())],
                cancellationToken: cancellationToken).ConfigureAwait(false);
            if (result.Applied)
            {
                return Metadata(header, next);
            }

            if (expectedETag is not null)
            {
                return null;
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask AppendAsync(ReadOnlySequence<byte> value, CancellationToken cancellationToken)
    {
        var expected = await KnownHeaderAsync(cancellationToken).ConfigureAwait(false);
        var old = expected is null ? null : JournalHeader.Decode(expected);
        var header = new JournalHeader((old?.Version ?? 0) + 1, (old?.Chunks ?? 0) + 1, old?.FormatKey ?? formatKey);
        var next = header.Encode();
        await WriteAsync("append to", expected, next, [KvOperation.Put(keys.Chunk(header.Chunks - 1), value.ToArray())], cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask ReplaceAsync(ReadOnlySequence<byte> value, CancellationToken cancellationToken)
    {
        var expected = await KnownHeaderAsync(cancellationToken).ConfigureAwait(false);
        var old = expected is null ? null : JournalHeader.Decode(expected);
        var next = new JournalHeader((old?.Version ?? 0) + 1, 1, formatKey).Encode();
        List<KvOperation> operations = [];
        for (var n = 1; n < (old?.Chunks ?? 0); n++)
        {
            operations.Add(KvOperation.Delete(keys.Chunk(n)));
        }

        operations.Add(KvOperation.Put(keys.Chunk(0), value.ToArray()));
        await WriteAsync("replace", expected, next, operations, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DeleteAsync(CancellationToken cancellationToken)
    {
        var expected = await KnownHeaderAsync(cancellationToken).ConfigureAwait(false);
        if (expected is null)
        {
            return;
        }

        List<KvOperation> operations = [KvOperation.CompareAndPut(keys.Data, Expect(expected), expected), KvOperation.Delete(keys.Data), KvOperation.Delete(keys.Properties)];
        for (var n = 0; n < JournalHeader.Decode(expected).Chunks; n++)
        {
            operations.Add(KvOperation.Delete(keys.Chunk(n)));
        }

        await CommitAsync("delete", expected, operations, cancellationToken).ConfigureAwait(false);
        Remember(null);
    }

    /// <summary>
    /// The value a compare expects: null for an absent key. Spelled out, because both a null array
    /// and a bare <c>null</c> in <c>value is null ? null : new ReadOnlyMemory&lt;byte&gt;(value)</c>
    /// convert (through the array conversion) to an empty, non-null value.
    /// </summary>
    private static ReadOnlyMemory<byte>? Expect(byte[]? value) => value is null ? default(ReadOnlyMemory<byte>?) : new ReadOnlyMemory<byte>(value);

    private static string ETag(JournalProperties properties) => properties.Version.ToString(CultureInfo.InvariantCulture);

    private static JournalMetadata Metadata(JournalHeader header, JournalProperties properties) => new(header.FormatKey, ETag(properties), properties.Values);

    /// <summary>The header this instance last saw; read once when it has seen none (a write before any read).</summary>
    private async ValueTask<byte[]?> KnownHeaderAsync(CancellationToken cancellationToken)
    {
        if (_stale)
        {
            throw new InconsistentStateException($"Journal under '{keys.Prefix}': a write of this instance was refused or its outcome is unknown; read the journal again before writing.", storedEtag: null, currentEtag: null);
        }

        if (!_known)
        {
            Remember(await kv.GetAsync(keys.Data, cancellationToken).ConfigureAwait(false));
        }

        return _header;
    }

    /// <summary>Sets the header to <paramref name="next"/> if it is still <paramref name="expected"/>, with <paramref name="operations"/>, all in one entry.</summary>
    private async ValueTask WriteAsync(string what, byte[]? expected, byte[] next, List<KvOperation> operations, CancellationToken cancellationToken)
    {
        operations.Insert(0, KvOperation.CompareAndPut(keys.Data, Expect(expected), next));
        await CommitAsync(what, expected, operations, cancellationToken).ConfigureAwait(false);
        Remember(next);
    }

    private async ValueTask CommitAsync(string what, byte[]? expected, List<KvOperation> operations, CancellationToken cancellationToken)
    {
        KvBatchResult result;
        try
        {
            result = await kv.BatchAsync(operations, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Applied or not: unknown. Whatever this instance knew may be stale now.
            _known = false;
            _stale = true;
            throw;
        }

        if (!result.Applied)
        {
            _known = false;
            _stale = true;
            var seen = expected is null ? "none" : JournalHeader.Decode(expected).Version.ToString(CultureInfo.InvariantCulture);
            throw new InconsistentStateException($"Journal under '{keys.Prefix}': cannot {what} it, another writer changed it since this one saw version {seen}.", storedEtag: null, currentEtag: seen);
        }
    }

    private void Remember(byte[]? header)
    {
        _header = header;
        _known = true;
        _stale = false;
        _chunks = header is null ? 0 : JournalHeader.Decode(header).Chunks;
    }
}
