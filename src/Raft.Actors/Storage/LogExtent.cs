using System.Buffers;
using Raft.Actors.Protocol;

namespace Raft.Actors.Storage;

/// <summary>
/// A run of consecutive live entries of one log that lie in one segment, at increasing offsets.
/// A log's live entries are a list of extents in segment order; in a shared log the records of
/// other groups lie between them, which is why locations are kept per extent, not per segment.
/// </summary>
internal sealed class LogExtent(LogSegment segment, ulong firstIndex)
{
    private const int ReadChunkBytes = 4 << 20;

    public LogSegment Segment { get; } = segment;

    /// <summary>Index of the first entry of the run.</summary>
    public ulong FirstIndex { get; set; } = firstIndex;

    /// <summary>Record locations of the entries, <see cref="FirstIndex"/> onwards.</summary>
    public List<RecordLocation> Locations { get; } = [];

    /// <summary>Index of the last entry; meaningful when <see cref="Locations"/> is not empty.</summary>
    public ulong LastIndex => FirstIndex + (ulong)Locations.Count - 1;

    /// <summary>Bytes the records of the run take in the segment.</summary>
    public long RecordBytes => Locations.Sum(location => (long)location.Length);

    public bool Holds(ulong index) => Locations.Count > 0 && index >= FirstIndex && index <= LastIndex;

    /// <summary>
    /// Reads <paramref name="count"/> entries of the run from <paramref name="first"/> on, a few
    /// MiB per call; the entries of one call share one array for their payloads (no allocation
    /// per entry but the entry). A record that no longer matches its checksum or index is damage.
    /// </summary>
    public void Read(ulong first, int count, Entry[] result, ref int next)
    {
        var locations = Locations;
        var start = (int)(first - FirstIndex);
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
                ReadExactly(span, chunkStart);
                for (var k = i; k < j; k++)
                {
                    var location = locations[k];
                    var record = span.Slice(location.Offset - chunkStart, location.Length);
                    var index = first + (ulong)(k - start);
                    if (!RecordFormat.TryParseHeader(record, out var header) || header.Kind != RecordKind.Entry ||
                        header.Index != index || header.TotalSize != location.Length ||
                        !RecordFormat.VerifyChecksum(record, header.Crc))
                    {
                        throw new LogCorruptedException(Segment.Path, location.Offset, $"entry {index} no longer matches its checksum or its index (damaged after the store opened)");
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

    private void ReadExactly(Span<byte> destination, long offset)
    {
        while (!destination.IsEmpty)
        {
            var read = RandomAccess.Read(Segment.Handle, destination, offset);
            if (read <= 0)
            {
                throw new LogCorruptedException(Segment.Path, offset, "the file ends before an indexed record");
            }

            destination = destination[read..];
            offset += read;
        }
    }
}
