using Raft.Actors.Snapshots;
using Xunit;
using static Raft.Actors.Tests.Snapshots.SnapshotSamples;

namespace Raft.Actors.Tests.Snapshots;

public sealed class SnapshotTransferTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("raft-transfer-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_snapshot_sent_frame_by_frame_arrives_byte_for_byte_and_reads_back()
    {
        var state = State(20 * SmallChunk);
        var leaderFile = Write(state, Options(SnapshotCodec.Lz4));
        var followerFile = new MemoryStream();
        await using var receiver = await SnapshotReceiver.OpenAsync(followerFile, "follower", new SnapshotId(1234, 7));

        await SendAsync(leaderFile, receiver);

        Assert.True(receiver.IsComplete);
        Assert.Equal(20, receiver.NextChunk);
        Assert.Equal(leaderFile, followerFile.ToArray());
        Assert.Equal(state, Read(followerFile.ToArray()));
    }

    [Fact]
    public async Task Several_frames_may_arrive_in_one_append()
    {
        var leaderFile = Write(State(10 * SmallChunk), Options(SnapshotCodec.Lz4));
        var followerFile = new MemoryStream();
        await using var receiver = await SnapshotReceiver.OpenAsync(followerFile, "follower");

        await receiver.AppendAsync(leaderFile);

        Assert.True(receiver.IsComplete);
        Assert.Equal(leaderFile, followerFile.ToArray());
    }

    [Fact]
    public async Task A_partial_file_with_a_torn_last_chunk_is_trimmed_to_the_last_intact_chunk_and_the_transfer_resumes()
    {
        var state = State(8 * SmallChunk);
        var leaderFile = Write(state, Options(SnapshotCodec.Lz4));
        var layout = await LayoutAsync(leaderFile);
        var path = Path.Combine(_directory, "incoming.partial");

        // What a crash left: the header, chunks 0-2, and half of chunk 3's frame.
        var torn = (layout.ChunkStarts[3] + layout.ChunkStarts[4]) / 2;
        await File.WriteAllBytesAsync(path, leaderFile.AsSpan(0, (int)torn).ToArray());

        await using (var receiver = await SnapshotReceiver.OpenAsync(File.Open(path, FileMode.Open, FileAccess.ReadWrite), path, new SnapshotId(1234, 7)))
        {
            Assert.Equal(3, receiver.NextChunk);
            Assert.Equal(layout.ChunkStarts[3], receiver.Length);
            Assert.Equal(torn - layout.ChunkStarts[3], receiver.TrimmedBytes);
            Assert.False(receiver.IsComplete);

            // The leader skips what the follower holds and sends the rest.
            await using var frames = await SnapshotFrameReader.OpenAsync(new MemoryStream(leaderFile), "leader");
            await frames.SkipChunksAsync(receiver.NextChunk);
            Assert.Equal(receiver.Length, frames.Offset);
            for (var frame = await frames.ReadFrameAsync(); !frame.IsEmpty; frame = await frames.ReadFrameAsync())
            {
                await receiver.AppendAsync(frame);
            }

            Assert.True(receiver.IsComplete);
            await receiver.FlushAsync();
        }

        Assert.Equal(leaderFile, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task A_partial_file_with_a_damaged_chunk_keeps_only_the_chunks_before_it()
    {
        var leaderFile = Write(State(8 * SmallChunk), Options(SnapshotCodec.Lz4));
        var layout = await LayoutAsync(leaderFile);
        var damaged = (byte[])leaderFile.Clone();
        damaged[(int)layout.ChunkStarts[5] + 30] ^= 4;

        await using var receiver = await SnapshotReceiver.OpenAsync(new MemoryStream(damaged), "follower");

        Assert.Equal(5, receiver.NextChunk);
        Assert.Equal(layout.ChunkStarts[5], receiver.Length);
        Assert.Equal(leaderFile.Length - layout.ChunkStarts[5], receiver.TrimmedBytes);
    }

    [Fact]
    public async Task A_whole_file_reopens_complete_and_a_torn_header_reopens_empty()
    {
        var leaderFile = Write(State(3 * SmallChunk), Options(SnapshotCodec.Lz4));

        await using (var whole = await SnapshotReceiver.OpenAsync(new MemoryStream([.. leaderFile]), "whole"))
        {
            Assert.True(whole.IsComplete);
            Assert.Equal(0, whole.TrimmedBytes);
        }

        var tornHeader = new MemoryStream(leaderFile.AsSpan(0, 20).ToArray());
        await using var empty = await SnapshotReceiver.OpenAsync(tornHeader, "torn");
        Assert.Null(empty.Header);
        Assert.Equal(0, empty.Length);
        Assert.Equal(0, tornHeader.Length);
    }

    [Fact]
    public async Task A_damaged_frame_from_the_network_is_rejected_and_the_good_one_is_accepted_after_it()
    {
        var leaderFile = Write(State(4 * SmallChunk), Options(SnapshotCodec.Lz4));
        var layout = await LayoutAsync(leaderFile);
        var followerFile = new MemoryStream();
        await using var receiver = await SnapshotReceiver.OpenAsync(followerFile, "follower");
        await receiver.AppendAsync(leaderFile.AsMemory(0, (int)layout.ChunkStarts[1]));
        var frame1 = leaderFile.AsSpan((int)layout.ChunkStarts[1], (int)(layout.ChunkStarts[2] - layout.ChunkStarts[1])).ToArray();
        var damaged = (byte[])frame1.Clone();
        damaged[^1] ^= 0x80;

        var error = await Assert.ThrowsAsync<SnapshotCorruptedException>(() => receiver.AppendAsync(damaged).AsTask());
        Assert.Equal(1, error.Chunk);
        Assert.Equal(layout.ChunkStarts[1], receiver.Length);
        Assert.Equal(layout.ChunkStarts[1], followerFile.Length);

        await receiver.AppendAsync(frame1);
        Assert.Equal(2, receiver.NextChunk);
    }

    [Fact]
    public async Task A_chunk_sent_twice_is_rejected_as_out_of_order()
    {
        var leaderFile = Write(State(4 * SmallChunk), Options(SnapshotCodec.Lz4));
        var layout = await LayoutAsync(leaderFile);
        await using var receiver = await SnapshotReceiver.OpenAsync(new MemoryStream(), "follower");
        await receiver.AppendAsync(leaderFile.AsMemory(0, (int)layout.ChunkStarts[2]));

        // Chunk 1 again where chunk 2 belongs: its checksum is seeded with its own number.
        var again = leaderFile.AsMemory((int)layout.ChunkStarts[1], (int)(layout.ChunkStarts[2] - layout.ChunkStarts[1]));
        var error = await Assert.ThrowsAsync<SnapshotCorruptedException>(() => receiver.AppendAsync(again).AsTask());

        Assert.Equal(2, error.Chunk);
        Assert.Equal(2, receiver.NextChunk);
    }

    [Fact]
    public async Task A_header_for_another_snapshot_is_rejected()
    {
        var other = Write(State(100), Options(SnapshotCodec.Lz4), Metadata(index: 5, term: 2));
        await using var receiver = await SnapshotReceiver.OpenAsync(new MemoryStream(), "follower", new SnapshotId(1234, 7));

        var error = await Assert.ThrowsAsync<SnapshotCorruptedException>(() => receiver.AppendAsync(other).AsTask());

        Assert.Equal(SnapshotRegion.Header, error.Region);
        Assert.Contains("index 5 term 2", error.Message);
        Assert.Equal(0, receiver.Length);
    }

    [Fact]
    public async Task Bytes_after_the_trailer_are_rejected()
    {
        var leaderFile = Write(State(100), Options(SnapshotCodec.Lz4));
        await using var receiver = await SnapshotReceiver.OpenAsync(new MemoryStream(), "follower");
        await receiver.AppendAsync(leaderFile);

        var error = await Assert.ThrowsAsync<SnapshotCorruptedException>(() => receiver.AppendAsync(leaderFile.AsMemory(^32)).AsTask());

        Assert.Equal(SnapshotRegion.Trailer, error.Region);
        Assert.Equal(leaderFile.Length, receiver.Length);
    }

    [Fact]
    public async Task Skipping_more_chunks_than_the_snapshot_has_is_rejected()
    {
        var leaderFile = Write(State(3 * SmallChunk), Options(SnapshotCodec.Lz4));
        await using var frames = await SnapshotFrameReader.OpenAsync(new MemoryStream(leaderFile), "leader");

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => frames.SkipChunksAsync(4).AsTask());
    }

    private static async Task SendAsync(byte[] leaderFile, SnapshotReceiver receiver)
    {
        await using var frames = await SnapshotFrameReader.OpenAsync(new MemoryStream(leaderFile), "leader");
        await receiver.AppendAsync(frames.HeaderBytes);
        for (var frame = await frames.ReadFrameAsync(); !frame.IsEmpty; frame = await frames.ReadFrameAsync())
        {
            Assert.Equal(frames.NextChunk, receiver.NextChunk + (frames.IsAtEnd ? 0 : 1));
            await receiver.AppendAsync(frame);
        }
    }
}
