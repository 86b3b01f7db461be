using Raft.Actors.Snapshots;
using Xunit;
using static Raft.Actors.Tests.Snapshots.SnapshotSamples;

namespace Raft.Actors.Tests.Snapshots;

public sealed class SnapshotRoundTripTests
{
    private const int Chunk = 1024;

    public static TheoryData<SnapshotCodec, int> CodecsAndSizes()
    {
        var data = new TheoryData<SnapshotCodec, int>();
        foreach (var codec in Codecs)
        {
            foreach (var size in new[] { 0, 1, Chunk, 2 * Chunk, (37 * Chunk) + 123 })
            {
                data.Add(codec, size);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CodecsAndSizes))]
    public void State_written_with_each_codec_reads_back_byte_for_byte(SnapshotCodec codec, int size)
    {
        var state = State(size);

        var file = Write(state, Options(codec, Chunk, workers: 3));

        Assert.Equal(state, Read(file, Options(codec, Chunk, workers: 3)));
    }

    [Theory]
    [MemberData(nameof(CodecsAndSizes))]
    public async Task State_written_and_read_asynchronously_reads_back_byte_for_byte(SnapshotCodec codec, int size)
    {
        var state = State(size);
        var file = new MemoryStream();
        await using (var writer = new SnapshotWriter(file, Metadata(), Options(codec, Chunk, workers: 3), leaveOpen: true))
        {
            // Uneven writes, so chunks fill across calls.
            for (var at = 0; at < size; at += 777)
            {
                await writer.WriteAsync(state.AsMemory(at, Math.Min(777, size - at)));
            }

            await writer.CompleteAsync();
        }

        file.Position = 0;
        await using var reader = await SnapshotReader.OpenAsync(file, "async.snap", Options(codec, Chunk, workers: 3));
        var read = new MemoryStream();
        await reader.CopyToAsync(read, 100);

        Assert.Equal(state, read.ToArray());
    }

    [Fact]
    public void The_header_carries_index_term_membership_codec_and_chunk_size()
    {
        var metadata = Metadata(index: 99, term: 5);
        var file = Write(State(10), Options(SnapshotCodec.Zstandard, 4096), metadata);

        using var reader = SnapshotReader.Open(new MemoryStream(file), "h.snap");

        Assert.Equal(metadata, reader.Header.Metadata);
        Assert.Equal(SnapshotCodec.Zstandard, reader.Header.Codec);
        Assert.Equal(4096, reader.Header.ChunkSize);
        Assert.Equal(SnapshotFormat.Version, reader.Header.FormatVersion);
    }

    [Fact]
    public void Byte_by_byte_writes_produce_the_same_file_as_one_large_write()
    {
        var state = State((3 * Chunk) + 5);
        var whole = Write(state, Options(SnapshotCodec.Lz4, Chunk));
        var file = new MemoryStream();
        using (var writer = new SnapshotWriter(file, Metadata(), Options(SnapshotCodec.Lz4, Chunk), leaveOpen: true))
        {
            foreach (var b in state)
            {
                writer.WriteByte(b);
            }

            writer.Complete();
        }

        Assert.Equal(whole, file.ToArray());
    }

    [Fact]
    public void The_file_does_not_depend_on_the_number_of_workers()
    {
        var state = State(50 * Chunk);

        var one = Write(state, Options(SnapshotCodec.Lz4, Chunk, workers: 1));
        var many = Write(state, Options(SnapshotCodec.Lz4, Chunk, workers: 7));

        Assert.Equal(one, many);
    }

    [Fact]
    public void Chunks_come_out_in_order_when_many_workers_finish_out_of_order()
    {
        // Distinct chunks, and workers delayed at random so later chunks often finish first.
        const int seed = 20261125;
        var state = State(300 * SmallChunk, seed);
        var delays = new ThreadLocal<Random>(() => new Random(seed + Environment.CurrentManagedThreadId));
        var options = Options(SnapshotCodec.Lz4, SmallChunk, workers: 16);
        options.BeforeChunk = _ => Thread.SpinWait(delays.Value!.Next(0, 20_000));

        var file = Write(state, options);
        var read = Read(file, options);

        Assert.True(state.AsSpan().SequenceEqual(read), $"seed {seed}");
    }

    [Fact]
    public void Incompressible_chunks_are_stored_as_is_and_the_rest_compressed()
    {
        var state = MixedSmallState();

        var file = Write(state, Options(SnapshotCodec.Lz4));

        // Chunk 1 is random: stored as is, so it cannot shrink; the JSON chunks do.
        Assert.True(file.Length < state.Length + SnapshotFormat.MinHeaderLength + 32 + (4 * SnapshotFormat.ChunkFrameHeaderLength));
        Assert.Equal(state, Read(file));
    }

    [Fact]
    public void An_empty_state_is_a_header_and_a_trailer()
    {
        var file = Write([], Options(SnapshotCodec.Lz4));

        Assert.Equal(SnapshotFormat.MinHeaderLength + (8 * 4) + SnapshotFormat.TrailerLength, file.Length);
        Assert.Empty(Read(file));
    }

    [Fact]
    public void A_writer_disposed_before_completion_leaves_no_readable_snapshot()
    {
        var file = new MemoryStream();
        using (var writer = new SnapshotWriter(file, Metadata(), Options(SnapshotCodec.Lz4, Chunk), leaveOpen: true))
        {
            writer.Write(State(10 * Chunk));
        }

        var error = Assert.Throws<SnapshotCorruptedException>(() => Read(file.ToArray()));
        Assert.Equal(SnapshotRegion.Trailer, error.Region);
    }

    [Fact]
    public void A_writer_rejects_writes_after_completion()
    {
        using var writer = new SnapshotWriter(new MemoryStream(), Metadata(), Options(SnapshotCodec.Lz4));
        writer.Complete();

        Assert.Throws<InvalidOperationException>(() => writer.WriteByte(1));
        writer.Complete(); // Completing twice is harmless.
    }

    [Fact]
    public void Options_out_of_range_are_rejected_naming_the_option()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SnapshotWriter(new MemoryStream(), Metadata(), new SnapshotOptions { ChunkSize = 100 }));
        Assert.Contains("ChunkSize", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SnapshotOptions { Workers = -1 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new SnapshotOptions { Codec = (SnapshotCodec)9 }.Validate());
    }
}
