using Raft.Actors.Snapshots;
using Xunit;
using static Raft.Actors.Tests.Snapshots.SnapshotSamples;

namespace Raft.Actors.Tests.Snapshots;

public sealed class FileSnapshotStoreTests : SnapshotStoreContract, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("raft-snapshots-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Snapshots_are_files_named_by_index_and_term()
    {
        var info = await PublishAsync(Store(), 1234, 7, State(100));

        Assert.Equal(Path.Combine(_directory, "leader", "snapshot-1234-7.snap"), info.Name);
        Assert.Equal(new FileInfo(info.Name).Length, info.Length);
    }

    [Fact]
    public async Task A_crash_before_the_rename_leaves_the_previous_snapshot_latest()
    {
        var previous = await PublishAsync(Store(), 10, 1, State(100));

        // What a crash between the temporary file's fsync and its rename leaves: a whole, newer
        // snapshot under its temporary name.
        var newer = Write(State(5000), SmallChunks, Metadata(20, 1));
        var temp = Path.Combine(_directory, "leader", "snapshot-20-1.0123456789abcdef0123456789abcdef.tmp");
        await File.WriteAllBytesAsync(temp, newer);
        Assert.Equal(previous, await Store().GetLatestAsync());

        // The restarted replica opens the store again.
        var reopened = Store();

        Assert.Equal(previous, await reopened.GetLatestAsync());
        Assert.False(File.Exists(temp));
    }

    [Fact]
    public async Task A_partial_transfer_with_a_torn_tail_survives_a_restart_and_resumes_after_its_last_intact_chunk()
    {
        var leader = Store();
        var state = State(12_000);
        var sent = await PublishAsync(leader, 40, 3, state);
        var leaderFile = await File.ReadAllBytesAsync(sent.Name);
        var layout = await LayoutAsync(leaderFile);

        // A crash after chunks 0-5 and part of chunk 6 reached the disk.
        var partial = Path.Combine(_directory, "follower", "incoming", "snapshot-40-3.partial");
        Directory.CreateDirectory(Path.GetDirectoryName(partial)!);
        await File.WriteAllBytesAsync(partial, leaderFile.AsSpan(0, (int)layout.ChunkStarts[6] + 7).ToArray());

        var follower = FollowerStore();
        Assert.Equal([sent.Id], await follower.ListIncomingAsync());
        await using (var incoming = await follower.OpenIncomingAsync(sent.Id))
        {
            Assert.Equal(6, incoming.Receiver.NextChunk);
            Assert.Equal(7, incoming.Receiver.TrimmedBytes);
            await using var frames = await leader.OpenFramesAsync(sent);
            await frames.SkipChunksAsync(incoming.Receiver.NextChunk);
            for (var frame = await frames.ReadFrameAsync(); !frame.IsEmpty; frame = await frames.ReadFrameAsync())
            {
                await incoming.Receiver.AppendAsync(frame);
            }

            await incoming.PublishAsync();
        }

        var latest = (await follower.GetLatestAsync())!;
        Assert.Equal(leaderFile, await File.ReadAllBytesAsync(latest.Name));
        Assert.False(File.Exists(partial));
    }

    [Fact]
    public async Task A_snapshot_spanning_several_background_sync_windows_is_published_whole()
    {
        var store = new FileSnapshotStore(new FileSnapshotStoreOptions
        {
            Directory = Path.Combine(_directory, "large"),
            Snapshot = new SnapshotOptions { Codec = SnapshotCodec.None, ChunkSize = 1 << 20 },
        });
        var state = State((int)(3 * IncrementalSyncFileStream.WindowBytes) + 12_345);

        var info = await PublishAsync(store, 99, 4, state);

        Assert.True(info.Length > state.Length);
        await using var reader = await store.OpenReaderAsync(info);
        Assert.Equal(state, ReadAll(reader));
    }

    [Fact]
    public void Options_out_of_range_are_rejected_naming_the_option()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new FileSnapshotStore(new FileSnapshotStoreOptions { Directory = _directory, Retain = 0 }));
        Assert.Contains("Retain", error.Message);
        Assert.Throws<ArgumentException>(() => new FileSnapshotStore(new FileSnapshotStoreOptions()));
    }

    // A new instance each time, over the same directory: what a restarted replica sees.
    protected override ISnapshotStore Store(int retain = FileSnapshotStoreOptions.DefaultRetain) =>
        new FileSnapshotStore(new FileSnapshotStoreOptions { Directory = Path.Combine(_directory, "leader"), Retain = retain, Snapshot = SmallChunks });

    protected override ISnapshotStore FollowerStore() =>
        new FileSnapshotStore(new FileSnapshotStoreOptions { Directory = Path.Combine(_directory, "follower"), Snapshot = SmallChunks });
}
