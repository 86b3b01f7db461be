using System.Buffers;
using System.Net;

namespace Raft.Actors.Transport.Tcp;

/// <summary>
/// Everything this node keeps for one peer: where to dial it, the bounded queue of frames for
/// it, the connection in use (dialed or accepted), and the writer loop that drains the queue
/// into that connection, dialing with backoff when there is none.
/// </summary>
/// <remarks>
/// Dialing is lazy: the writer loop dials only when a frame is waiting and no connection is up.
/// A peer that this node has nothing to say to costs no connection attempts; one it has
/// something to say to is redialed with backoff for as long as it stays configured, and frames
/// wait (up to the queue's bounds) meanwhile.
/// </remarks>
internal sealed class PeerLink
{
    // Frames smaller than this are copied together into one write; larger ones go alone.
    private const int CoalesceBytes = 64 * 1024;

    private readonly TcpTransport _transport;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ReconnectBackoff _backoff;
    private EndPoint _endPoint;
    private TcpConnection? _current;
    private TaskCompletionSource _wake = NewWake();
    private Task? _writer;
    private bool _stopped;
    private int _queueFullReported;

    public PeerLink(TcpTransport transport, ulong peerId, EndPoint endPoint, TcpTransportOptions options)
    {
        _transport = transport;
        PeerId = peerId;
        _endPoint = endPoint;
        Queue = new SendQueue(options.SendQueueCapacity, options.SendQueueMaxBytes);
        _backoff = new ReconnectBackoff(options.ReconnectMinDelay, options.ReconnectMaxDelay, transport.NextJitter);
    }

    public ulong PeerId { get; }

    public SendQueue Queue { get; }

    public EndPoint EndPoint => Volatile.Read(ref _endPoint);

    /// <summary>The connection frames go through, or null while there is none.</summary>
    public TcpConnection? Current => Volatile.Read(ref _current);

    /// <summary>The writer loop, once started.</summary>
    public Task Writer => _writer ?? Task.CompletedTask;

    public void Start()
    {
        lock (_gate)
        {
            if (!_stopped)
            {
                _writer ??= Task.Run(RunWriterAsync);
            }
        }
    }

    /// <summary>Dials <paramref name="endPoint"/> from now on, at once if the link is waiting out a backoff.</summary>
    public void SetEndPoint(EndPoint endPoint)
    {
        Volatile.Write(ref _endPoint, endPoint);
        Wake();
    }

    /// <summary>
    /// Records that a frame was refused by the full queue; true for the first refusal since the
    /// queue last took a frame, so that a full queue is logged once, not per message.
    /// </summary>
    public bool ReportQueueFull() => Interlocked.Exchange(ref _queueFullReported, 1) == 0;

    /// <summary>The queue took a frame again.</summary>
    public void QueueAccepted() => Volatile.Write(ref _queueFullReported, 0);

    /// <summary>Whether a connection with this identity would replace the current one, if any.</summary>
    public bool WouldAdopt((ulong DialedBy, ulong PeerIncarnation) candidate)
    {
        lock (_gate)
        {
            return !_stopped && (_current is not { } current || ConnectionRule.Prefers(_transport.NodeId, PeerId, candidate, current.Identity));
        }
    }

    /// <summary>
    /// Makes <paramref name="candidate"/> (handshake done) the connection in use unless
    /// <see cref="ConnectionRule"/> prefers the current one. On success the caller closes
    /// <paramref name="replaced"/>; on failure, the candidate.
    /// </summary>
    public bool TryAdopt(TcpConnection candidate, out TcpConnection? replaced)
    {
        replaced = null;
        lock (_gate)
        {
            if (_stopped || candidate.IsClosed)
            {
                return false;
            }

            if (_current is { } current && !ConnectionRule.Prefers(_transport.NodeId, PeerId, candidate.Identity, current.Identity))
            {
                return false;
            }

            replaced = _current;
            _current = candidate;
        }

        Wake();
        return true;
    }

    /// <summary>Forgets <paramref name="connection"/> if it is the one in use (it closed).</summary>
    public void Detach(TcpConnection connection)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_current, connection))
            {
                _current = null;
            }
        }
    }

    /// <summary>Stops the writer loop, drops the queue and closes the connection; <see cref="Writer"/> completes soon after.</summary>
    public void Stop(string reason)
    {
        TcpConnection? current;
        lock (_gate)
        {
            _stopped = true;
            current = _current;
            _current = null;
        }

        _stop.Cancel();
        Queue.Close();
        current?.Close(reason);
    }

    private static TaskCompletionSource NewWake() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Wake() => Interlocked.Exchange(ref _wake, NewWake()).TrySetResult();

    private async Task RunWriterAsync()
    {
        var token = _stop.Token;
        var batch = new List<OutboundFrame>();
        var coalesce = ArrayPool<byte>.Shared.Rent(CoalesceBytes);
        try
        {
            while (!token.IsCancellationRequested)
            {
                await Queue.WaitAsync(token).ConfigureAwait(false);
                var connection = Current ?? await ConnectAsync(token).ConfigureAwait(false);
                if (connection is null)
                {
                    continue;
                }

                Queue.TakeAll(batch);
                try
                {
                    await WriteAsync(connection, batch, coalesce).ConfigureAwait(false);
                    _transport.CountSent(batch);
                }
                catch (Exception ex)
                {
                    // The frames of the batch are lost with the connection; Raft resends what matters.
                    connection.Close($"write failed: {ex.Message}");
                }
                finally
                {
                    foreach (var frame in batch)
                    {
                        frame.Release();
                    }

                    batch.Clear();
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(coalesce);
        }
    }

    /// <summary>Writes the batch in as few writes as the frame sizes allow.</summary>
    private async Task WriteAsync(TcpConnection connection, List<OutboundFrame> batch, byte[] coalesce)
    {
        var timeout = _transport.Options.WriteTimeout;
        var used = 0;
        foreach (var frame in batch)
        {
            if (frame.Length > coalesce.Length - used && used > 0)
            {
                await connection.WriteAsync(coalesce.AsMemory(0, used), timeout).ConfigureAwait(false);
                used = 0;
            }

            if (frame.Length > coalesce.Length)
            {
                await connection.WriteAsync(frame.Bytes, timeout).ConfigureAwait(false);
                continue;
            }

            frame.Bytes.Span.CopyTo(coalesce.AsSpan(used));
            used += frame.Length;
        }

        if (used > 0)
        {
            await connection.WriteAsync(coalesce.AsMemory(0, used), timeout).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Dials the peer once; after a failure waits out the backoff (cut short when a connection
    /// arrives from the peer or its end point changes). Returns the connection to use, or null
    /// to look again.
    /// </summary>
    private async Task<TcpConnection?> ConnectAsync(CancellationToken token)
    {
        // Taken before the attempt, so that a wake-up during the attempt is not missed.
        var wake = Volatile.Read(ref _wake).Task;
        var connection = await _transport.DialAsync(this, EndPoint, _backoff.Failures, token).ConfigureAwait(false);
        if (connection is not null)
        {
            _backoff.Reset();
            return connection;
        }

        if (Current is { } current)
        {
            return current;
        }

        var delay = _backoff.NextDelay();
        await Task.WhenAny(wake, Task.Delay(delay, token)).ConfigureAwait(false);
        token.ThrowIfCancellationRequested();
        return Current;
    }
}
