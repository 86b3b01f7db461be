using Raft.Actors.Protocol;

namespace Raft.Actors.Storage;

/// <summary>
/// Applies one complete batch read during recovery. <paramref name="firstSegment"/>: the batch
/// is in the oldest segment left (whose predecessors compaction may have deleted);
/// <paramref name="batchStart"/>: where the batch starts, where a repair would cut.
/// </summary>
internal delegate void BatchReplay(LogSegment segment, List<PendingRecord> batch, bool firstSegment, long batchStart);

internal sealed partial class SegmentChain
{
    private readonly List<PendingRecord> _pending = [];
    private bool _batchKnown;

    /// <summary>
    /// Validates the arguments of a log's <c>OpenAsync</c> and runs <paramref name="open"/> (which
    /// reads every segment) on the thread pool with the full path and the options.
    /// </summary>
    public static ValueTask<T> OpenInBackground<T>(string directory, FileLogStoreOptions? options, CancellationToken cancellationToken, Func<string, FileLogStoreOptions, Task<T>> open)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options ??= new FileLogStoreOptions();
        options.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        var fullPath = Path.GetFullPath(directory);
        return new ValueTask<T>(Task.Run(() => open(fullPath, options), cancellationToken));
    }

    /// <summary>
    /// Opens (or creates) the segments in <paramref name="directory"/>, locks the directory
    /// against other processes, and hands every complete batch, in order, to
    /// <paramref name="replay"/>. A torn tail is zeroed; other damage throws.
    /// </summary>
    /// <exception cref="LogCorruptedException">Damage that is not a torn tail.</exception>
    /// <exception cref="IOException">The directory is locked by another store or cannot be used.</exception>
    public static SegmentChain Open(string directory, FileLogStoreOptions options, BatchReplay replay)
    {
        System.IO.Directory.CreateDirectory(directory);
        var directoryLock = DirectoryLock.Acquire(directory);
        var chain = new SegmentChain(directory, options, directoryLock);
        try
        {
            chain.DiskId = DiskIdFile.ReadOrCreate(directory);
            chain.Recover(replay);
            return chain;
        }
        catch
        {
            foreach (var segment in chain.Segments)
            {
                segment.Dispose();
            }

            directoryLock.Dispose();
            throw;
        }
    }

    private void Recover(BatchReplay replay)
    {
        foreach (var temporary in System.IO.Directory.EnumerateFiles(_directory, "*" + LogSegment.TemporaryExtension))
        {
            File.Delete(temporary); // an interrupted preallocation
        }

        List<ulong> sequences = [];
        foreach (var path in System.IO.Directory.EnumerateFiles(_directory, "*" + LogSegment.Extension))
        {
            if (LogSegment.TryParseFileName(Path.GetFileName(path), out var sequence))
            {
                sequences.Add(sequence);
            }
        }

        sequences.Sort();
        List<LogSegment> files = [];
        List<SegmentHeaderInfo?> headers = [];
        try
        {
            foreach (var sequence in sequences)
            {
                var segment = LogSegment.Open(_directory, sequence);
                files.Add(segment);
                headers.Add(ReadSegmentHeader(segment));
            }
        }
        catch
        {
            files.ForEach(f => f.Dispose());
            throw;
        }

        // Segments up to the last one with an intact header hold the log; files after it were
        // preallocated (or their first write was torn) and hold nothing acknowledged.
        var last = headers.FindLastIndex(h => h is not null);
        for (var i = 0; i <= last; i++)
        {
            Segments.Add(files[i]);
        }

        long scanned = 0;
        try
        {
            for (var i = 0; i <= last; i++)
            {
                if (headers[i] is null)
                {
                    throw new LogCorruptedException(files[i].Path, 0, "segment header damaged or missing");
                }

                if (i > 0 && files[i].Sequence != files[i - 1].Sequence + 1)
                {
                    throw new LogCorruptedException(files[i].Path, 0, $"segment {files[i - 1].Sequence + 1} is missing");
                }
            }

            for (var i = 0; i <= last; i++)
            {
                var expectedEnd = i < last ? headers[i + 1]!.Value.PreviousSegmentEnd : (long?)null;
                scanned += ReplaySegment(files[i], expectedEnd, firstSegment: i == 0, replay);
            }
        }
        catch
        {
            for (var i = last + 1; i < files.Count; i++)
            {
                files[i].Dispose();
            }

            throw;
        }

        for (var i = last + 1; i < files.Count; i++)
        {
            scanned += AdoptOrRemoveTrailing(files[i]);
        }

        if (Segments.Count == 0)
        {
            // A new log (or one whose only writes were torn): start with the spare, or a fresh segment.
            if (_spare is { } spare)
            {
                _spare = null;
                Segments.Add(spare.Result);
            }
            else
            {
                var sequence = sequences.Count > 0 ? sequences[^1] + 1 : 1;
                Segments.Add(LogSegment.Create(_directory, sequence, _options.SegmentSize));
            }
        }

        Active = Segments[^1];
        _spare ??= StartPreallocation(Active.Sequence + 1);
        BytesScanned = scanned;
    }

    private static SegmentHeaderInfo? ReadSegmentHeader(LogSegment segment)
    {
        using var reader = new SegmentReader(segment);
        if (reader.TryRead(0, segment.Length, out var header, out var record, out _) != RecordReadStatus.Ok ||
            header.Kind != RecordKind.SegmentHeader ||
            !RecordFormat.TryReadSegmentHeader(record[RecordFormat.HeaderSize..], header.Index, out var info) ||
            info.Sequence != segment.Sequence)
        {
            return null;
        }

        return info;
    }

    /// <summary>
    /// Replays one segment's complete batches into the index. A sealed segment (one with a
    /// successor) must end exactly where its successor's header says; the last segment may end
    /// in a torn batch, which is zeroed unless intact later batches prove it is damage instead.
    /// </summary>
    /// <returns>Bytes read.</returns>
    private long ReplaySegment(LogSegment segment, long? expectedEnd, bool firstSegment, BatchReplay replay)
    {
        using var reader = new SegmentReader(segment);
        var limit = Math.Min(expectedEnd ?? long.MaxValue, segment.Length); // a sealed segment may have been cut short
        long position = 0, committedEnd = 0;
        uint batch = 0;
        RecordReadStatus status;
        string problem;
        _pending.Clear();
        while (true)
        {
            status = reader.TryRead(position, limit, out var header, out var record, out problem);
            if (status != RecordReadStatus.Ok)
            {
                break;
            }

            if ((position == 0) != (header.Kind == RecordKind.SegmentHeader))
            {
                status = RecordReadStatus.Invalid;
                problem = position == 0 ? "segment does not start with a segment header" : "segment header in the middle of a segment";
                break;
            }

            if (_pending.Count == 0)
            {
                if (_batchKnown && header.Batch != _nextBatch)
                {
                    status = RecordReadStatus.Invalid;
                    problem = $"batch {header.Batch} where batch {_nextBatch} was expected";
                    break;
                }

                batch = header.Batch;
            }
            else if (header.Batch != batch)
            {
                status = RecordReadStatus.Invalid;
                problem = $"batch {batch} ends without its end marker (next record belongs to batch {header.Batch})";
                break;
            }

            _pending.Add(PendingRecord.From(header, record, position));
            position += header.TotalSize;
            if (header.IsBatchEnd)
            {
                replay(segment, _pending, firstSegment, committedEnd);
                _pending.Clear();
                committedEnd = position;
                _nextBatch = batch + 1;
                _batchKnown = true;
            }
        }

        if (expectedEnd is { } end)
        {
            if (committedEnd != end)
            {
                var at = status is RecordReadStatus.Invalid or RecordReadStatus.Zero ? position : committedEnd;
                throw new LogCorruptedException(segment.Path, at, status switch
                {
                    RecordReadStatus.Invalid => problem,
                    RecordReadStatus.Zero => $"zeros where records were written (the next segment says this one ends at {end})",
                    _ => $"the last batch before the segment's end ({end}) is incomplete",
                }, committedEnd);
            }

            segment.WriteOffset = committedEnd;
            return reader.BytesRead;
        }

        // The last segment: everything from committedEnd on is either a torn, unacknowledged
        // write or preallocated zeros, unless an intact record of a later batch follows.
        var (laterRecord, nonZeroEnd) = reader.ScanTail(position, _nextBatch, _batchKnown);
        if (laterRecord >= 0)
        {
            throw new LogCorruptedException(segment.Path, position, $"{(status == RecordReadStatus.Zero ? "zeros where records were written" : problem)}; an intact record of a later batch follows at offset {laterRecord}, so this is damage, not a torn write", committedEnd);
        }

        var dirtyEnd = Math.Max(nonZeroEnd, _pending.Count > 0 || status == RecordReadStatus.Invalid ? position : -1);
        if (dirtyEnd > committedEnd)
        {
            // Zero the torn bytes so that later writes are never followed by stale fragments.
            FileLogStoreLog.TornTailTruncated(_options.Logger, segment.Path, committedEnd, dirtyEnd - committedEnd);
            segment.Zero(committedEnd, Math.Min(segment.Length, (dirtyEnd + 4095) & ~4095L));
        }

        segment.WriteOffset = committedEnd;
        _pending.Clear();
        return reader.BytesRead;
    }

    /// <summary>
    /// A segment file after the last one with an intact header: kept as the spare when it is a
    /// clean preallocated file, removed when its content is a torn first write; damage when it
    /// holds intact records of a batch after the torn one.
    /// </summary>
    private long AdoptOrRemoveTrailing(LogSegment segment)
    {
        using var reader = new SegmentReader(segment);
        var (laterRecord, nonZeroEnd) = reader.ScanTail(0, _nextBatch, _batchKnown);
        if (laterRecord >= 0)
        {
            segment.Dispose();
            throw new LogCorruptedException(segment.Path, 0, $"segment header damaged, yet an intact record of a later batch follows at offset {laterRecord}");
        }

        var expectedSequence = Segments.Count > 0 ? Segments[^1].Sequence + 1 : segment.Sequence;
        if (nonZeroEnd < 0 && _spare is null && segment.Length == _options.SegmentSize && segment.Sequence == expectedSequence)
        {
            _spare = Task.FromResult(segment);
            return reader.BytesRead;
        }

        segment.Dispose();
        File.Delete(segment.Path);
        Fsync.Directory(_directory);
        FileLogStoreLog.UnusedSegmentRemoved(_options.Logger, segment.Path, nonZeroEnd < 0 ? "a spare not usable as the next segment" : "its first write was torn");
        return reader.BytesRead;
    }
}

/// <summary>A record read during recovery, held until its batch is known to be complete.</summary>
internal readonly record struct PendingRecord(RecordKind Kind, ulong Index, ulong Term, long Offset, int Length, HardState HardState, SegmentHeaderInfo Header)
{
    /// <summary>Where the record lies, as the index keeps it.</summary>
    public RecordLocation Location => new((int)Offset, Length);

    public static PendingRecord From(in RecordHeader header, ReadOnlySpan<byte> record, long offset)
    {
        var payload = record.Slice(RecordFormat.HeaderSize, header.PayloadLength);
        return header.Kind switch
        {
            RecordKind.HardState => new PendingRecord(header.Kind, 0, 0, offset, header.TotalSize, RecordFormat.ReadHardState(payload), default),
            RecordKind.SegmentHeader when RecordFormat.TryReadSegmentHeader(payload, header.Index, out var info) =>
                new PendingRecord(header.Kind, 0, 0, offset, header.TotalSize, default, info),
            RecordKind.SegmentHeader => throw new InvalidOperationException("Segment header validated earlier no longer parses."),
            _ => new PendingRecord(header.Kind, header.Index, header.Term, offset, header.TotalSize, default, default),
        };
    }
}
