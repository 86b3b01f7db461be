using Raft.Actors.Snapshots;
using Xunit;
using static Raft.Actors.Tests.Snapshots.SnapshotSamples;

namespace Raft.Actors.Tests.Snapshots;

/// <summary>What every <see cref="ISnapshotStore"/> does; each store's test class runs these.</summary>
public abstract class SnapshotStoreContract
{
    protected static SnapshotOptions SmallChunks => Options(SnapshotCodec.Lz4, 1024);

    /// <summary>A store; the same instance (or, for a file store, one over the same directory) on every call.</summary>
    protected abstract ISnapshotStore Store(int retain = FileSnapshotStoreOptions.DefaultRetain);

    [Fact]
    public async Task A_published_snapshot_is_the_latest_and_reads_back()
    {
        var store = Store();
        var state = State(10_000);

        var info = await PublishAsync(store, 10, 2, state);

        Assert.Equal(new SnapshotId(10, 2), info.Id);
        Assert.Equal(info, await store.GetLatestAsync());
        await using var reader = await store.OpenReaderAsync(info);
        Assert.Equal(Metadata(10, 2), reader.Header.Metadata);
        Assert.Equal(state, ReadAll(reader));
    }

    [Fact]
    public async Task An_empty_store_has_no_latest_snapshot()
    {
        Assert.Null(await Store().GetLatestAsync());
        Assert.Empty(await Store().ListAsync());
    }

    [Fact]
    public async Task The_store_keeps_the_newest_snapshots_by_index()
    {
        var store = Store(retain: 2);

        foreach (var index in new ulong[] { 10, 30, 20, 40, 50 })
        {
            await PublishAsync(store, index, 1, State(100));
            Assert.Equal(index == 20 ? 30u : index, (await store.GetLatestAsync())!.Id.Index);
        }

        Assert.Equal([new SnapshotId(50, 1), new SnapshotId(40, 1)], (await store.ListAsync()).Select(s => s.Id));
    }

    [Fact]
    public async Task A_snapshot_published_out_of_order_is_kept_until_the_next_publish()
    {
        var store = Store(retain: 1);
        await PublishAsync(store, 30, 1, State(100));

        await PublishAsync(store, 20, 1, State(100));

        Assert.Equal([new SnapshotId(30, 1), new SnapshotId(20, 1)], (await store.ListAsync()).Select(s => s.Id));
    }

    [Fact]
    public async Task A_pending_snapshot_is_not_listed_before_it_is_published()
    {
        var store = Store();
        await PublishAsync(store, 10, 1, State(100));

        await using var pending = await store.CreateAsync(Metadata(20, 1));
        pending.Content.Write(State(5000));

        Assert.Equal(new SnapshotId(10, 1), (await store.GetLatestAsync())!.Id);
        Assert.Single(await store.ListAsync());
    }

    [Fact]
    public async Task An_abandoned_snapshot_leaves_the_previous_one_latest()
    {
        var store = Store();
        await PublishAsync(store, 10, 1, State(100));

        await using (var pending = await store.CreateAsync(Metadata(20, 1)))
        {
            pending.Content.Write(State(5000));
        }

        Assert.Equal(new SnapshotId(10, 1), (await store.GetLatestAsync())!.Id);
    }

    [Fact]
    public async Task A_failed_publish_never_deletes_the_only_durable_snapshot()
    {
        var store = Store(retain: 1);
        var state = State(3000);
        await PublishAsync(store, 10, 1, state);

        await using (var pending = await store.CreateAsync(Metadata(20, 1)))
        {
            pending.Content.Write(State(5000));
            pending.Content.Dispose(); // The state machine closed the stream: the snapshot is abandoned.
            await Assert.ThrowsAnyAsync<Exception>(() => pending.PublishAsync().AsTask());
        }

        var latest = (await store.GetLatestAsync())!;
        Assert.Equal(new SnapshotId(10, 1), latest.Id);
        await using var reader = await store.OpenReaderAsync(latest);
        Assert.Equal(state, ReadAll(reader));
    }

    [Fact]
    public async Task A_received_snapshot_is_published_like_a_local_one()
    {
        var leader = Store();
        var state = State(20_000);
        var sent = await PublishAsync(leader, 40, 3, state);
        var follower = FollowerStore();
        await PublishAsync(follower, 10, 1, State(100));

        await using (var incoming = await follower.OpenIncomingAsync(sent.Id))
        {
            await using var frames = await leader.OpenFramesAsync(sent);
            await incoming.Receiver.AppendAsync(frames.HeaderBytes);
            for (var frame = await frames.ReadFrameAsync(); !frame.IsEmpty; frame = await frames.ReadFrameAsync())
            {
                await incoming.Receiver.AppendAsync(frame);
            }

            Assert.Equal(sent.Id, (await incoming.PublishAsync()).Id);
        }

        var latest = (await follower.GetLatestAsync())!;
        Assert.Equal(sent.Id, latest.Id);
        Assert.Empty(await follower.ListIncomingAsync());
        await using var reader = await follower.OpenReaderAsync(latest);
        Assert.Equal(state, ReadAll(reader));
    }

    [Fact]
    public async Task An_incoming_transfer_resumes_where_it_stopped_when_reopened()
    {
        var leader = Store();
        var sent = await PublishAsync(leader, 40, 3, State(10_000));
        var follower = FollowerStore();
        long resumeAt;

        await using (var incoming = await follower.OpenIncomingAsync(sent.Id))
        {
            await using var frames = await leader.OpenFramesAsync(sent);
            await incoming.Receiver.AppendAsync(frames.HeaderBytes);
            for (var i = 0; i < 4; i++)
            {
                await incoming.Receiver.AppendAsync(await frames.ReadFrameAsync());
            }

            await incoming.Receiver.FlushAsync();
            resumeAt = incoming.Receiver.Length;
        }

        Assert.Equal([sent.Id], await follower.ListIncomingAsync());
        await using (var incoming = await follower.OpenIncomingAsync(sent.Id))
        {
            Assert.Equal(4, incoming.Receiver.NextChunk);
            Assert.Equal(resumeAt, incoming.Receiver.Length);
            await using var frames = await leader.OpenFramesAsync(sent);
            await frames.SkipChunksAsync(incoming.Receiver.NextChunk);
            for (var frame = await frames.ReadFrameAsync(); !frame.IsEmpty; frame = await frames.ReadFrameAsync())
            {
                await incoming.Receiver.AppendAsync(frame);
            }

            await incoming.PublishAsync();
        }

        Assert.Equal(sent.Id, (await follower.GetLatestAsync())!.Id);
    }

    [Fact]
    public async Task An_incomplete_transfer_cannot_be_published()
    {
        await using var incoming = await FollowerStore().OpenIncomingAsync(new SnapshotId(5, 1));

        await Assert.ThrowsAsync<InvalidOperationException>(() => incoming.PublishAsync().AsTask());
    }

    [Fact]
    public async Task An_incoming_transfer_cannot_be_opened_twice_at_once()
    {
        var store = FollowerStore();
        await using var first = await store.OpenIncomingAsync(new SnapshotId(5, 1));

        await Assert.ThrowsAnyAsync<IOException>(() => store.OpenIncomingAsync(new SnapshotId(5, 1)).AsTask());
    }

    [Fact]
    public async Task A_deleted_transfer_starts_over()
    {
        var leader = Store();
        var sent = await PublishAsync(leader, 40, 3, State(5000));
        var follower = FollowerStore();
        await using (var incoming = await follower.OpenIncomingAsync(sent.Id))
        {
            await using var frames = await leader.OpenFramesAsync(sent);
            await incoming.Receiver.AppendAsync(frames.HeaderBytes);
        }

        await follower.DeleteIncomingAsync(sent.Id);

        Assert.Empty(await follower.ListIncomingAsync());
        await using var again = await follower.OpenIncomingAsync(sent.Id);
        Assert.Equal(0, again.Receiver.Length);
    }

    /// <summary>A second, separate store (the follower's).</summary>
    protected abstract ISnapshotStore FollowerStore();

    protected static async Task<SnapshotInfo> PublishAsync(ISnapshotStore store, ulong index, ulong term, byte[] state)
    {
        await using var pending = await store.CreateAsync(Metadata(index, term));
        await pending.Content.WriteAsync(state);
        return await pending.PublishAsync();
    }

    protected static byte[] ReadAll(Stream reader)
    {
        var state = new MemoryStream();
        reader.CopyTo(state);
        return state.ToArray();
    }
}
