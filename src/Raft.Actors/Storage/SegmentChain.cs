using System.Buffers;

namespace Raft.Actors.Storage;

/// <summary>
/// The segment files of one log directory, numbered consecutively, each starting with a
/// segment header that says where its predecessor's data ends: opening and replaying them,
/// appending one batch with one write and one <c>fdatasync</c>, rolling over to the
/// preallocated spare, and deleting the oldest. What the records mean is the owner's business:
/// <see cref="FileLogStore"/> keeps one log in them, <see cref="SharedLog"/> the logs of many
/// groups.
/// </summary>
/// <remarks>
/// One writer at a time. <see cref="Gate"/> guards <see cref="Segments"/> and the fields the
/// writer updates after a write; owners guard their own state with it too, so that a reader
/// sees a batch's effects whole.
/// </remarks>
internal sealed partial class SegmentChain
{
    private static readonly int s_segmentHeaderRecordSize = RecordFormat.RecordSize(RecordFormat.SegmentHeaderPayloadSize);

    private readonly string _directory;
    private readonly FileLogStoreOptions _options;
    private readonly DirectoryLock _directoryLock;
    private Task<LogSegment>? _spare;
    private uint _nextBatch = 1;
    private Exception? _fault;

    private SegmentChain(string directory, FileLogStoreOptions options, DirectoryLock directoryLock)
    {
        _directory = directory;
        _options = options;
        _directoryLock = directoryLock;
    }

    /// <summary>Guards <see cref="Segments"/>, <see cref="Active"/> and the owner's state.</summary>
    public Lock Gate { get; } = new();

    public string Directory => _directory;

    public FileLogStoreOptions Options => _options;

    /// <summary>The segments in use, oldest first; the last one is <see cref="Active"/>.</summary>
    public List<LogSegment> Segments { get; } = [];

    /// <summary>The segment being written.</summary>
    public LogSegment Active { get; private set; } = null!;

    /// <summary>The directory's disk id (see <see cref="LogState.DiskId"/>).</summary>
    public ulong DiskId { get; private set; }

    /// <summary>Bytes recovery read.</summary>
    public long BytesScanned { get; private set; }

    /// <summary>Bytes of a segment header record, which the first batch of a segment carries.</summary>
    public static int SegmentHeaderRecordSize => s_segmentHeaderRecordSize;

    /// <summary>True when a batch of <paramref name="size"/> bytes does not fit in what is left of the active segment.</summary>
    public bool NeedsNewSegment(long size) =>
        Active.WriteOffset > 0 && Active.WriteOffset + size > _options.SegmentSize;

    /// <summary>Makes the preallocated spare the segment being written and starts preparing the next.</summary>
    public async ValueTask RollOverAsync()
    {
        LogSegment next;
        try
        {
            next = await (_spare ?? StartPreallocation(Active.Sequence + 1)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _spare = null;
            throw new IOException($"Cannot preallocate the next log segment in '{_directory}'.", ex);
        }

        lock (Gate)
        {
            Segments.Add(next);
            Active = next;
            _spare = StartPreallocation(next.Sequence + 1);
        }
    }

    /// <summary>
    /// Encodes one batch (the segment header first when the segment is new, from
    /// <paramref name="state"/>), writes it with one call at the end of the active segment and
    /// syncs. Faults the chain on an I/O error.
    /// </summary>
    /// <param name="size">Bytes <paramref name="encode"/> writes.</param>
    /// <param name="state">What the segment header records (sequence and previous end are filled in).</param>
    /// <param name="encode">Writes the batch's records with the batch number it is given; returns the bytes written.</param>
    /// <returns>The segment written and the offset of the first record <paramref name="encode"/> wrote.</returns>
    public (LogSegment Segment, long Offset) Write(int size, SegmentHeaderInfo state, Func<Span<byte>, uint, int> encode)
    {
        var segment = Active;
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
                var previous = Segments.Count > 1 ? Segments[^2].WriteOffset : 0;
                position += RecordFormat.WriteSegmentHeader(span, state with { Sequence = segment.Sequence, PreviousSegmentEnd = previous }, batch, batchEnd: false);
            }

            var start = segment.WriteOffset + position;
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

            lock (Gate)
            {
                segment.WriteOffset += total;
                segment.Length = Math.Max(segment.Length, segment.WriteOffset);
                _nextBatch = batch + 1;
            }

            return (segment, start);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Removes from <see cref="Segments"/>, oldest first, the segments <paramref name="unused"/>
    /// accepts, never the active one. Call under <see cref="Gate"/>, then <see cref="Delete"/> each.
    /// </summary>
    public List<LogSegment> DetachOldest(Func<LogSegment, bool> unused)
    {
        List<LogSegment> detached = [];
        while (Segments.Count > 1 && Segments[0] != Active && unused(Segments[0]))
        {
            detached.Add(Segments[0]);
            Segments.RemoveAt(0);
        }

        return detached;
    }

    /// <summary>Deletes a detached segment's file and syncs the directory, so that a crash leaves a suffix of the segments.</summary>
    public void Delete(LogSegment segment)
    {
        segment.Dispose();
        File.Delete(segment.Path);
        Fsync.Directory(_directory);
    }

    /// <summary>Throws when a write or sync failed: the kernel may have dropped data, so the log must be reopened.</summary>
    public void ThrowIfFaulted()
    {
        if (_fault is { } fault)
        {
            throw new InvalidOperationException($"The log in '{_directory}' failed a write or sync and must be reopened: {fault.Message}", fault);
        }
    }

    /// <summary>Closes the segment files and releases the directory lock. Nothing needs flushing.</summary>
    public async ValueTask DisposeAsync()
    {
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

        foreach (var segment in Segments)
        {
            segment.Dispose();
        }

        _directoryLock.Dispose();
    }

    private Task<LogSegment> StartPreallocation(ulong sequence)
    {
        var directory = _directory;
        var size = _options.SegmentSize;
        return Task.Run(() => LogSegment.Create(directory, sequence, size));
    }
}
