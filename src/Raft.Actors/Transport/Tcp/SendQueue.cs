namespace Raft.Actors.Transport.Tcp;

/// <summary>
/// The frames waiting for one peer, bounded in count and bytes. A frame that does not fit is
/// refused (the caller drops it): memory stays bounded however long the peer is away, and the
/// replica is never blocked. Thread-safe; one reader (the peer's writer loop), many writers.
/// </summary>
internal sealed class SendQueue(int capacity, long maxBytes)
{
    private readonly Lock _gate = new();
    private readonly Queue<OutboundFrame> _frames = new();
    private long _bytes;
    private bool _closed;
    private TaskCompletionSource? _waiter;

    /// <summary>Frames waiting.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _frames.Count;
            }
        }
    }

    /// <summary>Bytes waiting.</summary>
    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Queues <paramref name="frame"/>, or returns false (and keeps nothing) when full or closed; the caller still owns a refused frame.</summary>
    public bool TryEnqueue(OutboundFrame frame)
    {
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            if (_closed || _frames.Count >= capacity || _bytes + frame.Length > maxBytes)
            {
                return false;
            }

            _frames.Enqueue(frame);
            _bytes += frame.Length;
            waiter = _waiter;
            _waiter = null;
        }

        waiter?.TrySetResult();
        return true;
    }

    /// <summary>Completes once a frame is waiting or the queue is closed.</summary>
    public Task WaitAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_frames.Count > 0 || _closed)
            {
                return Task.CompletedTask;
            }

            _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _waiter.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Moves every waiting frame into <paramref name="batch"/>, which then owns them.</summary>
    public void TakeAll(List<OutboundFrame> batch)
    {
        lock (_gate)
        {
            while (_frames.TryDequeue(out var frame))
            {
                batch.Add(frame);
            }

            _bytes = 0;
        }
    }

    /// <summary>Refuses frames from now on and releases those waiting.</summary>
    public void Close()
    {
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            _closed = true;
            while (_frames.TryDequeue(out var frame))
            {
                frame.Release();
            }

            _bytes = 0;
            waiter = _waiter;
            _waiter = null;
        }

        waiter?.TrySetResult();
    }
}
