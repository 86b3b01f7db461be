namespace Raft.Actors.Snapshots;

/// <summary>
/// A snapshot being received from a leader: append what arrives through <see cref="Receiver"/>, and
/// once <see cref="SnapshotReceiver.IsComplete"/>, publish it. Disposing it keeps the partial
/// transfer for a later resume (<see cref="ISnapshotStore.DeleteIncomingAsync"/> discards it).
/// </summary>
public sealed class IncomingSnapshot : IAsyncDisposable
{
    private readonly Func<SnapshotReceiver, CancellationToken, ValueTask<SnapshotInfo>> _publish;
    private readonly Func<ValueTask> _close;
    private bool _finished;

    internal IncomingSnapshot(SnapshotId id, SnapshotReceiver receiver, Func<SnapshotReceiver, CancellationToken, ValueTask<SnapshotInfo>> publish, Func<ValueTask> close)
    {
        Id = id;
        Receiver = receiver;
        _publish = publish;
        _close = close;
    }

    /// <summary>The snapshot being received.</summary>
    public SnapshotId Id { get; }

    /// <summary>Checks and keeps what arrives; says where to resume.</summary>
    public SnapshotReceiver Receiver { get; }

    /// <summary>
    /// Makes the received snapshot durable and publishes it atomically, like a local one, then
    /// deletes snapshots beyond the retention count.
    /// </summary>
    /// <exception cref="InvalidOperationException">The transfer is not complete, or it was already published.</exception>
    public async ValueTask<SnapshotInfo> PublishAsync(CancellationToken cancellationToken = default)
    {
        if (_finished)
        {
            throw new InvalidOperationException($"Incoming snapshot {Id} was already published or closed.");
        }

        if (!Receiver.IsComplete)
        {
            throw new InvalidOperationException($"Incoming snapshot {Id} is not complete: {Receiver.Length} bytes, {Receiver.NextChunk} chunks so far.");
        }

        var info = await _publish(Receiver, cancellationToken).ConfigureAwait(false);
        _finished = true;
        return info;
    }

    /// <summary>Closes the transfer; its verified prefix stays for a later resume unless it was published.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_finished)
        {
            return;
        }

        _finished = true;
        await Receiver.DisposeAsync().ConfigureAwait(false);
        await _close().ConfigureAwait(false);
    }
}
