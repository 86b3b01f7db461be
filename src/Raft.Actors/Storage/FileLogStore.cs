using System.Buffers;
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

    private const int ReadChunkBytes = 4 << 20;

    private static readonly int s_segmentHeaderRecordSize = RecordFormat.RecordSize(RecordFormat.SegmentHeaderPayloadSize);
    private static readonly int s_hardStateRecordSize = RecordFormat.RecordSize(RecordFormat.HardStateSize);
    private static readonly int s_compactionRecordSize = RecordFormat.RecordSize(0);

    private readonly string _directory;
    private readonly FileLogStoreOptions _options;
    private readonly DirectoryLock _directoryLock;
    private readonly List<LogSegment> _segments = [];
    private readonly LogIndex _index;
    private readonly Lock _gate = new();
    private LogSegment _active = null!;
    private Task<LogSegment>? _spare;
    private HardState _hardState;
    private ulong _diskId;
    private uint _nextBatch = 1;
    private Exception? _fault;
    private bool _disposed;

    private FileLogStore(string directory, FileLogStoreOptions options, DirectoryLock directoryLock)
    {
        _directory = directory;
        _options = options;
        _directoryLock = directoryLock;
        _index = new LogIndex(_segments);
    }

    /// <summary>The directory the store owns.</summary>
    public string Directory => _directory;

    /// <summary>The last durable hard state.</summary>
    public HardState HardState { get { lock (_gate) { return _hardState; } } }

    /// <summary>Number of segment files in use (each holds one open handle).</summary>
    public int SegmentCount { get { lock (_gate) { return _segments.Count; } } }

    /// <summary>The segment being written (for tests that need to know where batches landed).</summary>
    internal LogSegment ActiveSegment { get { lock (_gate) { return _active; } } }

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
        return ValueTask.FromResult(new LogState(hardState, compactedIndex, compactedTerm, entries, _diskId));
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

        if (size + s_segmentHeaderRecordSize > MaxBatchBytes)
        {
            throw new ArgumentException($"Batch of {entries.Count} entries encodes to {size} bytes; at most {MaxBatchBytes} bytes go in one append.", nameof(batch));
        }

        if (NeedsNewSegment((int)size))
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

        if (NeedsNewSegment(s_compactionRecordSize))
        {
            await RollOverAsync().ConfigureAwait(false);
        }

        bool reset;
        lock (_gate)
        {
            reset = _index.TryGetTerm(throughIndex, out var term) && term != throughTerm;
        }

        WriteRecords(s_compactionRecordSize, (span, batch) => reset
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

            while (_segments.Count > 1 && _segments[0] != _active && _segments[0].Locations.Count == 0)
            {
                deleted.Add(_segments[0]);
                _segments.RemoveAt(0);
            }
        }

        foreach (var segment in deleted)
        {
            segment.Dispose();
            File.Delete(segment.Path);
            Fsync.Directory(_directory);
            FileLogStoreLog.SegmentDeleted(_options.Logger, segment.Path, throughIndex);
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

        if (_spare is { } spare)
        {
            try
            {
                (await spare.ConfigureAwait(false)).Dispose();
            }
            catch (Exception)
            {
                // A failed preallocation leaves at most a temporary file, removed on the next open.
            }
        }

        foreach (var segment in _segments)
        {
            segment.Dispose();
        }

        _directoryLock.Dispose();
    }

    private bool NeedsNewSegment(int size) =>
        _active.WriteOffset > 0 && _active.WriteOffset + size > _options.SegmentSize;

    private async ValueTask AppendInNewSegmentAsync(LogBatch batch, int size)
    {
        await RollOverAsync().ConfigureAwait(false);
        WriteBatch(batch.Entries, batch.HardState, size);
    }

    /// <summary>Makes the preallocated spare the segment being written and starts preparing the next.</summary>
    private async ValueTask RollOverAsync()
    {
        LogSegment next;
        try
        {
            next = await (_spare ?? StartPreallocation(_active.Sequence + 1)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _spare = null;
            throw new IOException($"Cannot preallocate the next log segment in '{_directory}'.", ex);
        }

        lock (_gate)
        {
            _segments.Add(next);
            _active = next;
            _spare = StartPreallocation(next.Sequence + 1);
        }
    }

    private Task<LogSegment> StartPreallocation(ulong sequence)
    {
        var directory = _directory;
        var size = _options.SegmentSize;
        return Task.Run(() => LogSegment.Create(directory, sequence, size));
    }

    private void WriteBatch(IReadOnlyList<Entry> entries, HardState? hardState, int size)
    {
        var segment = _active;
        var headerSize = segment.WriteOffset == 0 ? s_segmentHeaderRecordSize : 0;
        var batchStart = segment.WriteOffset;
        WriteRecords(size, (span, batch) =>
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

            var offset = batchStart + headerSize;
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

    /// <summary>
    /// Encodes one batch (the segment header first when the segment is new), writes it with one
    /// call at the end of the current segment and syncs. Faults the store on an I/O error.
    /// </summary>
    private void WriteRecords(int size, Func<Span<byte>, uint, int> encode)
    {
        var segment = _active;
        var withHeader = segment.WriteOffset == 0;
        var total = size + (withHeader ? s_segmentHeaderRecordSize : 0);
        var buffer = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            var span = buffer.AsSpan(0, total);
            var batch = _nextBatch;
            var position = 0;
            if (withHeader)
            {
                var previous = _segments.Count > 1 ? _segments[^2].WriteOffset : 0;
                var info = new SegmentHeaderInfo(segment.Sequence, previous, _hardState, _index.CompactedIndex, _index.CompactedTerm, _index.LastIndex + 1);
                position += RecordFormat.WriteSegmentHeader(span, info, batch, batchEnd: false);
            }

            position += encode(span[position..], batch);
            if (position != total)
            {
                throw new InvalidOperationException($"Log batch encoding broken: {position} bytes written, {total} expected.");
            }

            try
            {
                RandomAccess.Write(segment.Handle, span, segment.WriteOffset);
                Fsync.Data(segment.Handle);
            }
            catch (Exception ex)
            {
                _fault = ex;
                throw;
            }

            lock (_gate)
            {
                segment.WriteOffset += total;
                segment.Length = Math.Max(segment.Length, segment.WriteOffset);
                _nextBatch = batch + 1;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private IReadOnlyList<Entry> Read(ulong from, ulong toExclusive)
    {
        List<(LogSegment Segment, ulong First, int Count)> pieces = [];
        lock (_gate)
        {
            ThrowIfDisposed();
            if (from <= _index.CompactedIndex || toExclusive > _index.LastIndex + 1 || from > toExclusive)
            {
                throw new ArgumentOutOfRangeException(nameof(from), $"Range [{from}, {toExclusive}) is outside the retained log [{_index.CompactedIndex + 1}, {_index.LastIndex}].");
            }

            var index = from;
            while (index < toExclusive)
            {
                var segment = _index.SegmentOf(index);
                var count = (int)Math.Min(toExclusive - index, segment.LastIndex - index + 1);
                pieces.Add((segment, index, count));
                index += (ulong)count;
            }
        }

        // Reading outside the lock is safe against appends: records once written never change.
        var result = new Entry[(int)(toExclusive - from)];
        var next = 0;
        foreach (var (segment, first, count) in pieces)
        {
            ReadPiece(segment, first, count, result, ref next);
        }

        return result;
    }

    /// <summary>
    /// Reads <paramref name="count"/> live entries of one segment a few MiB per call; the entries
    /// of one call share one array for their payloads (no allocation per entry but the entry).
    /// </summary>
    private static void ReadPiece(LogSegment segment, ulong first, int count, Entry[] result, ref int next)
    {
        var locations = segment.Locations;
        var start = (int)(first - segment.FirstIndex);
        var end = start + count;
        var i = start;
        while (i < end)
        {
            // Take entries while the byte span stays within a chunk (always at least one).
            var chunkStart = locations[i].Offset;
            var dataBytes = locations[i].Length - RecordFormat.HeaderSize;
            var j = i + 1;
            while (j < end && locations[j].Offset + locations[j].Length - chunkStart <= ReadChunkBytes)
            {
                dataBytes += locations[j].Length - RecordFormat.HeaderSize;
                j++;
            }

            var chunkLength = locations[j - 1].Offset + locations[j - 1].Length - chunkStart;
            var buffer = ArrayPool<byte>.Shared.Rent(chunkLength);
            var data = new byte[dataBytes].AsMemory();
            try
            {
                var span = buffer.AsSpan(0, chunkLength);
                ReadExactly(segment, span, chunkStart);
                for (var k = i; k < j; k++)
                {
                    var location = locations[k];
                    var record = span.Slice(location.Offset - chunkStart, location.Length);
                    var index = first + (ulong)(k - start);
                    if (!RecordFormat.TryParseHeader(record, out var header) || header.Kind != RecordKind.Entry ||
                        header.Index != index || header.TotalSize != location.Length ||
                        !RecordFormat.VerifyChecksum(record, header.Crc))
                    {
                        throw new LogCorruptedException(segment.Path, location.Offset, $"entry {index} no longer matches its checksum or its index (damaged after the store opened)");
                    }

                    var dataLength = RecordFormat.EntryDataLength(header);
                    result[next++] = RecordFormat.ReadEntry(header, record.Slice(RecordFormat.HeaderSize, header.PayloadLength), data[..dataLength]);
                    data = data[dataLength..];
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            i = j;
        }
    }

    private static void ReadExactly(LogSegment segment, Span<byte> destination, long offset)
    {
        while (!destination.IsEmpty)
        {
            var read = RandomAccess.Read(segment.Handle, destination, offset);
            if (read <= 0)
            {
                throw new LogCorruptedException(segment.Path, offset, "the file ends before an indexed record");
            }

            destination = destination[read..];
            offset += read;
        }
    }

    private void ThrowIfUnusable()
    {
        ThrowIfDisposed();
        if (_fault is { } fault)
        {
            throw new InvalidOperationException($"The log store in '{_directory}' failed a write or sync and must be reopened: {fault.Message}", fault);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
