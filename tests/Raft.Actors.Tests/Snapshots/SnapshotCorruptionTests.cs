using Raft.Actors.Snapshots;
using Xunit;
using static Raft.Actors.Tests.Snapshots.SnapshotSamples;

namespace Raft.Actors.Tests.Snapshots;

public sealed class SnapshotCorruptionTests
{
    public static TheoryData<SnapshotCodec> AllCodecs => [.. Codecs];

    // Checksums are checked before any decompressor sees a payload, so what differs between codecs
    // here is stored against compressed chunks: None stores all, LZ4 compresses all but chunk 1. (The
    // frame reader and receiver test below runs every codec.)
    public static TheoryData<SnapshotCodec> StoredAndCompressed => [SnapshotCodec.None, SnapshotCodec.Lz4];

    [Theory]
    [MemberData(nameof(StoredAndCompressed))]
    public async Task Every_single_bit_flip_is_reported_in_the_damaged_part_and_never_yields_wrong_bytes(SnapshotCodec codec)
    {
        var state = MixedSmallState();
        var good = Write(state, Options(codec, workers: 1));
        var layout = await LayoutAsync(good);
        Assert.Equal(4, layout.ChunkStarts.Count);

        for (var bit = 0L; bit < good.Length * 8; bit++)
        {
            var bad = (byte[])good.Clone();
            bad[bit / 8] ^= (byte)(1 << (int)(bit % 8));
            var (region, chunk) = layout.RegionOf(bit / 8);

            var (read, error) = ReadUntilError(bad, workers: 1);

            Assert.True(error is not null, $"flip of bit {bit} (byte {bit / 8}, {region} {chunk}) went unnoticed");
            Assert.True(state.AsSpan().StartsWith(read), $"flip of bit {bit}: wrong bytes returned before the error");
            Assert.True(region == error.Region && chunk == error.Chunk, $"flip of bit {bit} in {region} {chunk} reported as {error.Region} {error.Chunk}: {error.Message}");
        }
    }

    [Theory]
    [MemberData(nameof(AllCodecs))]
    public async Task Every_truncation_is_reported_and_never_reads_as_a_shorter_state(SnapshotCodec codec)
    {
        var state = MixedSmallState();
        var good = Write(state, Options(codec, workers: 2));
        var layout = await LayoutAsync(good);

        for (var length = 0; length < good.Length; length++)
        {
            var (read, error) = ReadUntilError(good.AsSpan(0, length).ToArray());

            Assert.True(error is not null, $"cut at {length} of {good.Length} went unnoticed");
            Assert.True(state.AsSpan().StartsWith(read), $"cut at {length}: wrong bytes returned");

            // A cut exactly between units loses the trailer; anywhere else it damages the unit it cuts.
            var (region, chunk) = layout.Boundaries().Contains(length) && length >= layout.HeaderLength
                ? (SnapshotRegion.Trailer, (long?)null)
                : layout.RegionOf(length);
            Assert.True(region == error.Region && chunk == error.Chunk, $"cut at {length} reported as {error.Region} {error.Chunk}, expected {region} {chunk}: {error.Message}");
        }
    }

    [Fact]
    public void Bytes_after_the_trailer_are_reported()
    {
        var good = Write(MixedSmallState(), Options(SnapshotCodec.Lz4));

        var (_, error) = ReadUntilError([.. good, 0]);

        Assert.Equal(SnapshotRegion.Trailer, error?.Region);
    }

    [Fact]
    public async Task Two_swapped_chunks_fail_their_checksums()
    {
        // Chunks 0 and 2 compress to frames of different sizes, so swap two equal-size frames instead:
        // the stored chunks 1 and 2 of a state that does not compress.
        var state = new byte[3 * SmallChunk];
        new Random(5).NextBytes(state);
        var good = Write(state, Options(SnapshotCodec.Lz4));
        var layout = await LayoutAsync(good);
        var frame = (int)(layout.ChunkStarts[2] - layout.ChunkStarts[1]);
        var bad = (byte[])good.Clone();
        good.AsSpan((int)layout.ChunkStarts[1], frame).CopyTo(bad.AsSpan((int)layout.ChunkStarts[2]));
        good.AsSpan((int)layout.ChunkStarts[2], frame).CopyTo(bad.AsSpan((int)layout.ChunkStarts[1]));

        var (_, error) = ReadUntilError(bad);

        Assert.Equal(SnapshotRegion.Chunk, error?.Region);
        Assert.Equal(1, error?.Chunk);
    }

    [Fact]
    public void The_error_names_the_snapshot_the_chunk_and_the_offset()
    {
        var good = Write(MixedSmallState(), Options(SnapshotCodec.Lz4));
        var bad = (byte[])good.Clone();
        bad[^40] ^= 0x10; // In the payload of the last chunk.

        var error = Assert.Throws<SnapshotCorruptedException>(() => Read(bad, name: "/var/raft/g7/snapshot-1234-7.snap"));

        Assert.Equal("/var/raft/g7/snapshot-1234-7.snap", error.Snapshot);
        Assert.Equal(3, error.Chunk);
        Assert.Contains("/var/raft/g7/snapshot-1234-7.snap", error.Message);
        Assert.Contains("chunk 3", error.Message);
        Assert.Contains("checksum", error.Message);
    }

    [Theory]
    [MemberData(nameof(AllCodecs))]
    public async Task The_frame_reader_and_the_receiver_report_every_single_bit_flip_like_the_reader(SnapshotCodec codec)
    {
        var good = Write(MixedSmallState(), Options(codec, workers: 1));
        var layout = await LayoutAsync(good);

        for (var bit = 0L; bit < good.Length * 8; bit++)
        {
            var bad = (byte[])good.Clone();
            bad[bit / 8] ^= (byte)(1 << (int)(bit % 8));
            var (region, chunk) = layout.RegionOf(bit / 8);

            var sent = await Record.ExceptionAsync(() => ReadFramesAsync(bad));
            var sentError = Assert.IsType<SnapshotCorruptedException>(sent);
            Assert.True(region == sentError.Region && chunk == sentError.Chunk, $"frame reader: flip of bit {bit} in {region} {chunk} reported as {sentError.Region} {sentError.Chunk}");

            var partial = new MemoryStream();
            await using var receiver = await SnapshotReceiver.OpenAsync(partial, "partial");
            var received = await Record.ExceptionAsync(() => receiver.AppendAsync(bad).AsTask());
            var receivedError = Assert.IsType<SnapshotCorruptedException>(received);
            Assert.True(region == receivedError.Region && chunk == receivedError.Chunk, $"receiver: flip of bit {bit} in {region} {chunk} reported as {receivedError.Region} {receivedError.Chunk}");

            // What the receiver kept is exactly the good units before the damage.
            Assert.False(receiver.IsComplete);
            Assert.True(layout.Boundaries().Contains(receiver.Length) && receiver.Length <= bit / 8, $"receiver kept {receiver.Length} bytes after a flip at byte {bit / 8}");
            Assert.Equal(good.AsSpan(0, (int)receiver.Length).ToArray(), partial.ToArray());
        }
    }

    private static (byte[] Read, SnapshotCorruptedException? Error) ReadUntilError(byte[] file, int workers = 2)
    {
        var read = new MemoryStream();
        try
        {
            using var reader = SnapshotReader.Open(new MemoryStream(file), "damaged.snap", new SnapshotOptions { Workers = workers });
            reader.CopyTo(read);
            return (read.ToArray(), null);
        }
        catch (SnapshotCorruptedException e)
        {
            return (read.ToArray(), e);
        }
    }

    private static async Task ReadFramesAsync(byte[] file)
    {
        await using var frames = await SnapshotFrameReader.OpenAsync(new MemoryStream(file), "damaged.snap");
        while (!(await frames.ReadFrameAsync()).IsEmpty)
        {
        }
    }
}
