using Raft.Actors.Protocol;

namespace Raft.Actors.Storage;

/// <summary>
/// The embedded durable <see cref="ILogStore"/>: a directory of preallocated segment files of
/// checksummed records (see <see cref="RecordFormat"/>), written append-only with one write and
/// one <c>fdatasync</c> per batch, and an in-memory index rebuilt on open.
/// </summary>
/// <remarks>
/// <para><b>Durability.</b> <see cref="AppendAsync"/> and <see cref="CompactAsync"/> return only
/// after their records are on disk. Entries, the truncation a batch implies and its hard state
/// travel in one write: a batch is applied on recovery only if its last record (marked
/// batch-end) is intact, so after a crash the log holds a prefix of the acknowledged batches,
/// never part of one. A truncation is not a rewrite: the replacing entries are appended and,
/// when replayed, cut the entries they replace, so a crash can never mix old and new records.</para>
/// <para><b>Recovery.</b> A damaged or partial record after the last complete batch of the last
/// segment is a torn write that was never acknowledged: it is zeroed and forgotten. Any other
/// damage (a checksum mismatch followed by intact later batches, a gap, a missing segment) throws
/// <see cref="LogCorruptedException"/> naming the file and offset; <see cref="RepairAsync"/> cuts
/// the log there once a human has decided to.</para>
/// <para><b>Resources.</b> One open handle per segment plus the directory lock; the index costs
/// 8 bytes per retained entry plus one term run per term change.</para>
/// <para><b>Threading.</b> As <see cref="ILogStore"/> requires: one writer; reads may run
/// concurrently with each other. I/O runs on the calling thread and the returned tasks complete
/// synchronously except when a write waits for the next segment to finish preallocating.</para>
/// </remarks>
public sealed partial class FileLogStore : ILogStore
{
    /// <summary>Largest batch, in encoded bytes, that one <see cref="AppendAsync"/> may write.</summary>
    public const int MaxBatchBytes = 512 << 20;

    private static readonly int s_hardStateRecordSize = RecordFormat.RecordSize(RecordFormat.HardStateSize);
    private static readonly int s_compactionRecordSize = RecordFormat.RecordSize(0);

    private readonly SegmentChain _chain;
    private readonly LogIndex _index;
    private readonly Lock _gate;
    private HardState _hardState;
    private bool _disposed;

    private FileLogStore(SegmentChain chain, LogIndex index)
    {
        _chain = chain;
        _index = index;
        _gate = chain.Gate;
    }

    /// <summary>The directory the store owns.</summary>
    public string Directory => _chain.Directory;

    /// <summary>The last durable hard state.</summary>
    public HardState HardState { get { lock (_gate) { return _hardState; } } }

    /// <summary>Number of segment files in use (each holds one open handle).</summary>
    public int SegmentCount { get { lock (_gate) { return _chain.Segments.Count; } } }

    /// <summary>The segment being written (for tests that need to know where batches landed).</summary>
    internal LogSegment ActiveSegment { get { lock (_gate) { return _chain.Active; } } }

    /// <inheritdoc />
    public ulong FirstIndex { get { lock (_gate) { return _index.CompactedIndex + 1; } } }

    /// <inheritdoc />
    public ulong LastIndex { get { lock (_gate) { return _index.LastIndex; } } }

    /// <inheritdoc />
    public ulong CompactedIndex { get { lock (_gate) { return _index.CompactedIndex; } } }

    /// <inheritdoc />
    public ValueTask<LogState> LoadAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        HardState hardState;
        ulong compactedIndex, compactedTerm, lastIndex;
        lock (_gate)
        {
            ThrowIfDisposed();
            hardState = _hardState;
            compactedIndex = _index.CompactedIndex;
            compactedTerm = _index.CompactedTerm;
            lastIndex = _index.LastIndex;
        }

        var entries = Read(compactedIndex + 1, lastIndex + 1);
        return ValueTask.FromResult(new LogState(hardState, compactedIndex, compactedTerm, entries, _chain.DiskId));
    }

    /// <inheritdoc />
    /// <remarks>
    /// One write of the whole batch (entries, then the hard state) and one <c>fdatasync</c>; when
    /// the current segment is full the batch starts the next, preallocated one. If the write or
    /// the sync fails the store is faulted: every later write throws, since after a failed sync
    /// the kernel may have dropped the data while reporting later syncs as successful. Reopen.
    /// </remarks>
    public ValueTask AppendAsync(LogBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfUnusable();
        var entries = batch.Entries;
        if (entries.Count == 0 && batch.HardState is null)
        {
            return ValueTask.CompletedTask;
        }

        LogBatchValidation.Validate(entries, _index.CompactedIndex, _index.LastIndex);
        long size = batch.HardState is null ? 0 : s_hardStateRecordSize;
        for (var i = 0; i < entries.Count; i++)
        {
            size += RecordFormat.EntryRecordSize(entries[i]);
        }

        if (size + SegmentChain.SegmentHeaderRecordSize > MaxBatchBytes)
        {
            throw new ArgumentException($"Batch of {entries.Count} entries encodes to {size} bytes; at most {MaxBatchBytes} bytes go in one append.", nameof(batch));
        }

        if (_chain.NeedsNewSegment(size))
        {
            return AppendInNewSegmentAsync(batch, (int)size);
        }

        WriteBatch(entries, batch.HardState, (int)size);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Entry>> ReadAsync(ulong from, ulong toExclusive, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(from, toExclusive));
    }

    /// <inheritdoc />
    public bool TryGetTerm(ulong index, out ulong term)
    {
        lock (_gate)
        {
            return _index.TryGetTerm(index, out term);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Writes one record and syncs it, then deletes, oldest first, every segment that no longer
    /// holds a retained entry (never the one being written), syncing the directory after each
    /// deletion so that a crash leaves a suffix of the segments. Entries of a partly covered
    /// segment stay on disk but are no longer readable. The record is a compaction record when
    /// the log agrees with the snapshot (or is shorter than it): replaying it drops entries up to
    /// the index. When the log holds the index with another term it is a reset record instead,
    /// which drops every entry before it on replay: the entry that disagreed may lie in a segment
    /// this call deletes, so replay could not decide that from the entries it still finds.
    /// </remarks>
    public async ValueTask CompactAsync(ulong throughIndex, ulong throughTerm, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfUnusable();
        if (throughIndex <= _index.CompactedIndex)
        {
            return;
        }

        if (_chain.NeedsNewSegment(s_compactionRecordSize))
        {
            await _chain.RollOverAsync().ConfigureAwait(false);
        }

        bool reset;
        lock (_gate)
        {
            reset = _index.TryGetTerm(throughIndex, out var term) && term != throughTerm;
        }

        _chain.Write(s_compactionRecordSize, SegmentHeaderState(), (span, batch) => reset
            ? RecordFormat.WriteReset(span, throughIndex, throughTerm, batch, batchEnd: true)
            : RecordFormat.WriteCompaction(span, throughIndex, throughTerm, batch, batchEnd: true));
        List<LogSegment> deleted = [];
        lock (_gate)
        {
            if (reset)
            {
                _index.Replace(throughIndex, throughTerm);
            }
            else
            {
                _index.Compact(throughIndex, throughTerm);
            }

            deleted = _chain.DetachOldest(segment => _index.OldestSegment != segment);
        }

        foreach (var segment in deleted)
        {
            _chain.Delete(segment);
            FileLogStoreLog.SegmentDeleted(_chain.Options.Logger, segment.Path, throughIndex);
        }
    }

    /// <summary>Closes the segment files and releases the directory lock. Nothing needs flushing.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        await _chain.DisposeAsync().ConfigureAwait(false);
    }

    private async ValueTask AppendInNewSegmentAsync(LogBatch batch, int size)
    {
        await _chain.RollOverAsync().ConfigureAwait(false);
        WriteBatch(batch.Entries, batch.HardState, size);
    }

    private void WriteBatch(IReadOnlyList<Entry> entries, HardState? hardState, int size)
    {
        var (segment, offset) = _chain.Write(size, SegmentHeaderState(), (span, batch) =>
        {
            var position = 0;
            for (var i = 0; i < entries.Count; i++)
            {
                position += RecordFormat.WriteEntry(span[position..], entries[i], batch, batchEnd: hardState is null && i == entries.Count - 1);
            }

            if (hardState is { } hs)
            {
                position += RecordFormat.WriteHardState(span[position..], hs, batch, batchEnd: true);
            }

            return position;
        });

        lock (_gate)
        {
            if (entries.Count > 0 && entries[0].Index <= _index.LastIndex)
            {
                _index.TruncateFrom(entries[0].Index);
            }

            for (var i = 0; i < entries.Count; i++)
            {
                var length = RecordFormat.EntryRecordSize(entries[i]);
                _index.Append(segment, entries[i].Index, entries[i].Term, new RecordLocation((int)offset, length));
                offset += length;
            }

            if (hardState is { } hs)
            {
                _hardState = hs;
            }
        }
    }

    /// <summary>What a new segment's header records: the hard state and compaction point, so that deleting older segments loses neither.</summary>
    private SegmentHeaderInfo SegmentHeaderState() =>
        new(0, 0, _hardState, _index.CompactedIndex, _index.CompactedTerm, _index.LastIndex + 1);

    private IReadOnlyList<Entry> Read(ulong from, ulong toExclusive)
    {
        List<(LogExtent Extent, ulong First, int Count)> pieces;
        lock (_gate)
        {
            ThrowIfDisposed();
            pieces = _index.Slice(from, toExclusive);
        }

        // Reading outside the lock is safe against appends: records once written never change.
        return LogIndex.Read(pieces);
    }

    private void ThrowIfUnusable()
    {
        ThrowIfDisposed();
        _chain.ThrowIfFaulted();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
