using System.Buffers;

namespace Raft.Actors.Storage;

/// <summary>How reading a record at some offset went.</summary>
internal enum RecordReadStatus
{
    /// <summary>An intact record.</summary>
    Ok,

    /// <summary>Zeros: preallocated space where nothing was written.</summary>
    Zero,

    /// <summary>No room for a header before the limit.</summary>
    End,

    /// <summary>A malformed header, a record running past the limit, or a checksum mismatch.</summary>
    Invalid,
}

/// <summary>
/// Reads the records of one segment front to back through a large buffer (recovery reads whole
/// segments; one read per few MiB keeps the syscall count low).
/// </summary>
internal sealed class SegmentReader(LogSegment segment) : IDisposable
{
    private const int DefaultBufferSize = 4 << 20;
    private const int TailChunk = 1 << 20;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(DefaultBufferSize);
    private long _bufferStart;
    private int _bufferLength;

    /// <summary>Bytes read from the file so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>
    /// Reads the record at <paramref name="offset"/>, which must end at or before
    /// <paramref name="limit"/>. On <see cref="RecordReadStatus.Ok"/>, <paramref name="record"/>
    /// (header, payload, padding) is valid until the next call.
    /// </summary>
    public RecordReadStatus TryRead(long offset, long limit, out RecordHeader header, out ReadOnlySpan<byte> record, out string problem)
    {
        header = default;
        record = default;
        problem = "";
        if (offset + RecordFormat.HeaderSize > limit)
        {
            return RecordReadStatus.End;
        }

        var head = Get(offset, RecordFormat.HeaderSize);
        if (RecordFormat.IsZeroHeader(head))
        {
            return RecordReadStatus.Zero;
        }

        if (!RecordFormat.TryParseHeader(head, out header))
        {
            problem = "malformed record header";
            return RecordReadStatus.Invalid;
        }

        if (offset + header.TotalSize > limit)
        {
            problem = $"record of {header.TotalSize} bytes runs past the end of the segment data ({limit})";
            return RecordReadStatus.Invalid;
        }

        record = Get(offset, header.TotalSize);
        if (!RecordFormat.VerifyChecksum(record, header.Crc))
        {
            problem = "checksum mismatch";
            return RecordReadStatus.Invalid;
        }

        return RecordReadStatus.Ok;
    }

    /// <summary>
    /// Looks at everything from <paramref name="from"/> to the end of the file, past the last
    /// complete batch: finds where non-zero bytes end, and whether an intact record of a batch
    /// numbered after <paramref name="tornBatch"/> lies there (proof that what failed was not a
    /// torn tail, since a batch is written only after the one before it was synced). When no
    /// batch is known yet, the first intact record found names the torn batch.
    /// </summary>
    public (long LaterRecordOffset, long NonZeroEnd) ScanTail(long from, uint tornBatch, bool batchKnown)
    {
        var length = segment.Length;
        long laterRecord = -1, nonZeroEnd = -1;
        var chunkStart = from & ~(long)(RecordFormat.Alignment - 1);
        var buffer = ArrayPool<byte>.Shared.Rent(TailChunk + RecordFormat.HeaderSize);
        try
        {
            while (chunkStart < length && laterRecord < 0)
            {
                var readLength = (int)Math.Min(TailChunk + RecordFormat.HeaderSize, length - chunkStart);
                var span = buffer.AsSpan(0, readLength);
                ReadExactly(span, chunkStart);
                var scanEnd = Math.Min(readLength, TailChunk);
                var last = span[..scanEnd].LastIndexOfAnyExcept((byte)0);
                if (last >= 0)
                {
                    nonZeroEnd = chunkStart + last + 1;
                }

                var i = 0;
                while (i < scanEnd)
                {
                    var found = span[i..scanEnd].IndexOfAnyExcept((byte)0);
                    if (found < 0)
                    {
                        break;
                    }

                    // A record's kind byte (offset 8) is never zero, so a header holding the first
                    // non-zero byte starts at most 8 bytes before it, on an 8-byte boundary.
                    var candidate = Math.Max(i, ((i + found) & ~(RecordFormat.Alignment - 1)) - RecordFormat.Alignment);
                    var intact = candidate + RecordFormat.HeaderSize <= readLength ? IntactRecordAt(span, candidate, chunkStart) : null;
                    if (intact is { } record)
                    {
                        // Records of the torn batch itself may have reached the disk out of order;
                        // only a batch numbered after it proves the failure was not at the tail.
                        if (!batchKnown)
                        {
                            tornBatch = record.Batch;
                            batchKnown = true;
                        }
                        else if ((int)(record.Batch - tornBatch) >= 1)
                        {
                            laterRecord = chunkStart + candidate;
                            break;
                        }

                        i = candidate + Math.Min(record.TotalSize, scanEnd - candidate);
                        continue;
                    }

                    i = candidate + RecordFormat.Alignment;
                }

                chunkStart += TailChunk;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return (laterRecord, nonZeroEnd);
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private RecordHeader? IntactRecordAt(ReadOnlySpan<byte> span, int at, long chunkStart)
    {
        if (!RecordFormat.TryParseHeader(span.Slice(at, RecordFormat.HeaderSize), out var header))
        {
            return null;
        }

        var offset = chunkStart + at;
        if (offset + header.TotalSize > segment.Length)
        {
            return null;
        }

        if (at + header.TotalSize <= span.Length)
        {
            return RecordFormat.VerifyChecksum(span.Slice(at, header.TotalSize), header.Crc) ? header : null;
        }

        var record = ArrayPool<byte>.Shared.Rent(header.TotalSize);
        try
        {
            ReadExactly(record.AsSpan(0, header.TotalSize), offset);
            return RecordFormat.VerifyChecksum(record.AsSpan(0, header.TotalSize), header.Crc) ? header : null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(record);
        }
    }

    private ReadOnlySpan<byte> Get(long offset, int length)
    {
        if (offset >= _bufferStart && offset + length <= _bufferStart + _bufferLength)
        {
            return _buffer.AsSpan((int)(offset - _bufferStart), length);
        }

        if (length > _buffer.Length)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(length);
        }

        var count = (int)Math.Min(_buffer.Length, segment.Length - offset);
        ReadExactly(_buffer.AsSpan(0, count), offset);
        _bufferStart = offset;
        _bufferLength = count;
        return _buffer.AsSpan(0, length);
    }

    private void ReadExactly(Span<byte> destination, long offset)
    {
        while (!destination.IsEmpty)
        {
            var read = RandomAccess.Read(segment.Handle, destination, offset);
            if (read <= 0)
            {
                throw new IOException($"'{segment.Path}' ended at {offset} while {destination.Length} more bytes were expected.");
            }

            BytesRead += read;
            destination = destination[read..];
            offset += read;
        }
    }
}
