using System.Text;
using Raft.Actors.Protocol;
using Raft.Actors.Snapshots;
using Xunit;

namespace Raft.Actors.Tests.Snapshots;

/// <summary>Deterministic states and helpers shared by the snapshot tests.</summary>
internal static class SnapshotSamples
{
    public const int SmallChunk = SnapshotOptions.MinChunkSize;

    public static readonly SnapshotCodec[] Codecs = [SnapshotCodec.None, SnapshotCodec.Lz4, SnapshotCodec.Zstandard, SnapshotCodec.Deflate];

    public static SnapshotMetadata Metadata(ulong index = 1234, ulong term = 7) => new()
    {
        Index = index,
        Term = term,
        ConfState = new ConfState { Voters = [1, 2, 3], Learners = [9] },
    };

    /// <summary>JSON-like records (compress about 2:1 with LZ4), with every fifth kilobyte random (does not compress).</summary>
    public static byte[] State(int length, int seed = 1)
    {
        var random = new Random(seed);
        var text = new StringBuilder(length + 256);
        var id = 0;
        while (text.Length < length)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture,
                $"{{\"id\":{id++},\"name\":\"user-{random.Next(10_000)}\",\"balance\":{random.Next(1_000_000)},\"active\":{(random.Next(2) == 0 ? "true" : "false")}}},");
        }

        var bytes = Encoding.ASCII.GetBytes(text.ToString(0, length));
        for (var at = 4096; at + 1024 <= length; at += 5 * 1024)
        {
            random.NextBytes(bytes.AsSpan(at, 1024));
        }

        return bytes;
    }

    /// <summary>A small state whose chunks (of <see cref="SmallChunk"/> bytes) compress, do not, compress, and a short last one.</summary>
    public static byte[] MixedSmallState()
    {
        var bytes = State((3 * SmallChunk) + 100, seed: 3);
        new Random(4).NextBytes(bytes.AsSpan(SmallChunk, SmallChunk));
        return bytes;
    }

    public static SnapshotOptions Options(SnapshotCodec codec, int chunkSize = SmallChunk, int workers = 2) =>
        new() { Codec = codec, ChunkSize = chunkSize, Workers = workers };

    public static byte[] Write(byte[] state, SnapshotOptions options, SnapshotMetadata? metadata = null)
    {
        var file = new MemoryStream();
        using (var writer = new SnapshotWriter(file, metadata ?? Metadata(), options, leaveOpen: true))
        {
            writer.Write(state);
            writer.Complete();
        }

        return file.ToArray();
    }

    public static byte[] Read(byte[] file, SnapshotOptions? options = null, string name = "test.snap")
    {
        using var reader = SnapshotReader.Open(new MemoryStream(file), name, options);
        var state = new MemoryStream();
        reader.CopyTo(state);
        return state.ToArray();
    }

    /// <summary>Where each unit of a good snapshot file starts: the header at 0, the chunk frames, then the trailer.</summary>
    public static async Task<FileLayout> LayoutAsync(byte[] file)
    {
        await using var frames = await SnapshotFrameReader.OpenAsync(new MemoryStream(file), "layout");
        var chunkStarts = new List<long>();
        while (true)
        {
            var offset = frames.Offset;
            var frame = await frames.ReadFrameAsync();
            if (frames.IsAtEnd)
            {
                return new FileLayout(frames.HeaderBytes.Length, chunkStarts, offset, file.Length);
            }

            Assert.False(frame.IsEmpty);
            chunkStarts.Add(offset);
        }
    }
}

/// <summary>The units of a snapshot file by offset.</summary>
internal sealed record FileLayout(int HeaderLength, IReadOnlyList<long> ChunkStarts, long TrailerStart, long Length)
{
    /// <summary>The region (and chunk) that byte <paramref name="offset"/> belongs to.</summary>
    public (SnapshotRegion Region, long? Chunk) RegionOf(long offset)
    {
        if (offset < HeaderLength)
        {
            return (SnapshotRegion.Header, null);
        }

        if (offset >= TrailerStart)
        {
            return (SnapshotRegion.Trailer, null);
        }

        var chunk = ChunkStarts.Count - 1;
        while (ChunkStarts[chunk] > offset)
        {
            chunk--;
        }

        return (SnapshotRegion.Chunk, chunk);
    }

    /// <summary>Where every unit starts, and the end.</summary>
    public IEnumerable<long> Boundaries() => [0, HeaderLength, .. ChunkStarts, TrailerStart, Length];
}
