using Raft.Actors.Protocol;

namespace Raft.Actors.Snapshots;

/// <summary>
/// A local snapshot being written: write the state machine's state into <see cref="Content"/>,
/// then call <see cref="PublishAsync"/>. Disposing it without publishing abandons it and leaves the
/// store as it was.
/// </summary>
public sealed class PendingSnapshot : IAsyncDisposable
{
    private readonly Func<SnapshotWriter, CancellationToken, ValueTask<SnapshotInfo>> _publish;
    private readonly Func<ValueTask> _abandon;
    private bool _finished;

    internal PendingSnapshot(SnapshotWriter content, Func<SnapshotWriter, CancellationToken, ValueTask<SnapshotInfo>> publish, Func<ValueTask> abandon)
    {
        Content = content;
        _publish = publish;
        _abandon = abandon;
    }

    /// <summary>The index, term and membership of the state being written.</summary>
    public SnapshotMetadata Metadata => Content.Header.Metadata;

    /// <summary>Where the state goes. Do not dispose it; <see cref="PublishAsync"/> completes it.</summary>
    public SnapshotWriter Content { get; }

    /// <summary>
    /// Completes the snapshot, makes it durable and publishes it atomically, then deletes snapshots
    /// beyond the retention count. When it returns, the snapshot survives a crash and is the one
    /// listed for its id. If it throws, the store is as it was before.
    /// </summary>
    /// <exception cref="InvalidOperationException">Already published, or the writer faulted or was disposed.</exception>
    public async ValueTask<SnapshotInfo> PublishAsync(CancellationToken cancellationToken = default)
    {
        if (_finished)
        {
            throw new InvalidOperationException("This snapshot was already published or abandoned.");
        }

        var info = await _publish(Content, cancellationToken).ConfigureAwait(false);
        _finished = true;
        return info;
    }

    /// <summary>Abandons the snapshot unless it was published.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_finished)
        {
            return;
        }

        _finished = true;
        await Content.DisposeAsync().ConfigureAwait(false);
        await _abandon().ConfigureAwait(false);
    }
}
