using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace Raft.Actors.Transport.Tcp;

/// <summary>
/// One TCP connection to a peer, dialed or accepted: the socket, the stream over it (plain or
/// TLS), a <see cref="PipeReader"/> for the one reader, and what the handshake told about the
/// peer. Reads belong to one loop and writes to one loop, which <see cref="System.Net.Security.SslStream"/> allows.
/// </summary>
/// <remarks>
/// Deadlines (handshake, each write) are armed on the connection's own cancellation source: when
/// one passes, the connection closes itself with the deadline's reason, which fails whatever was
/// waiting on it. Closing is idempotent; the first reason is kept.
/// </remarks>
internal sealed class TcpConnection
{
    private static long s_nextId;

    private readonly Socket _socket;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Action<TcpConnection> _onClosed;
    private volatile string? _deadlineReason;
    private volatile string? _closeReason;
    private int _closed;

    public TcpConnection(Socket socket, bool dialed, Action<TcpConnection> onClosed)
    {
        _socket = socket;
        _onClosed = onClosed;
        Id = Interlocked.Increment(ref s_nextId);
        Dialed = dialed;
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        Stream = new NetworkStream(socket, ownsSocket: true);
        _lifetime.Token.Register(static state =>
        {
            var connection = (TcpConnection)state!;
            connection.Close(connection._deadlineReason ?? "cancelled");
        }, this);
    }

    /// <summary>A number for log lines, unique in this process.</summary>
    public long Id { get; }

    /// <summary>True when this node dialed the connection.</summary>
    public bool Dialed { get; }

    public EndPoint? LocalEndPoint { get; }

    public EndPoint? RemoteEndPoint { get; }

    /// <summary>The stream to read and write: the <see cref="NetworkStream"/>, then the <see cref="System.Net.Security.SslStream"/> over it with TLS.</summary>
    public Stream Stream { get; private set; }

    /// <summary>Reads <see cref="Stream"/>; set by <see cref="UseStream"/>.</summary>
    public PipeReader? Reader { get; private set; }

    /// <summary>The peer's node id, once the handshake named it.</summary>
    public ulong PeerId { get; private set; }

    /// <summary>The peer process's incarnation, from the handshake.</summary>
    public ulong PeerIncarnation { get; private set; }

    /// <summary>The node id of the side that dialed.</summary>
    public ulong DialedBy { get; private set; }

    /// <summary>Cancelled when the connection closes.</summary>
    public CancellationToken Lifetime => _lifetime.Token;

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Why the connection closed; null while open.</summary>
    public string? CloseReason => _closeReason;

    /// <summary>The facts <see cref="ConnectionRule"/> decides on.</summary>
    public (ulong DialedBy, ulong PeerIncarnation) Identity => (DialedBy, PeerIncarnation);

    /// <summary>Reads and writes go through <paramref name="stream"/> from now on (once, before any read).</summary>
    public void UseStream(Stream stream)
    {
        Stream = stream;
        Reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
    }

    /// <summary>Records who the handshake says is at the other end.</summary>
    public void Identify(ulong peerId, ulong peerIncarnation, ulong dialedBy)
    {
        PeerId = peerId;
        PeerIncarnation = peerIncarnation;
        DialedBy = dialedBy;
    }

    /// <summary>Closes the connection with <paramref name="reason"/> unless disarmed within <paramref name="timeout"/>.</summary>
    public void ArmDeadline(TimeSpan timeout, string reason)
    {
        _deadlineReason = reason;
        try
        {
            _lifetime.CancelAfter(timeout);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void DisarmDeadline()
    {
        try
        {
            _lifetime.CancelAfter(Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// Writes <paramref name="bytes"/>; the connection closes if that takes longer than
    /// <paramref name="timeout"/>. Without a timeout the deadline armed already (the
    /// handshake's) stays in force.
    /// </summary>
    /// <exception cref="IOException">The connection is or got closed; the message says why.</exception>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, TimeSpan? timeout)
    {
        if (IsClosed)
        {
            throw new IOException($"Connection {Id} is closed: {_closeReason}.");
        }

        if (timeout is { } limit)
        {
            ArmDeadline(limit, $"a write did not complete within {limit}");
        }

        try
        {
            await Stream.WriteAsync(bytes, _lifetime.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            throw new IOException($"Connection {Id} is closed: {_closeReason ?? ex.Message}.", ex);
        }

        if (timeout is not null)
        {
            DisarmDeadline();
        }
    }

    /// <summary>
    /// Closes the socket (failing pending reads and writes) and reports the close to the
    /// transport; returns false when it was already closed.
    /// </summary>
    public bool Close(string reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return false;
        }

        _closeReason = reason;
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        _socket.Dispose();

        // Cancel also stops the deadline timer. Never disposed: a racing ArmDeadline would throw.
        _lifetime.Cancel();
        _onClosed(this);
        return true;
    }

    public override string ToString() => $"connection {Id} ({(Dialed ? "dialed" : "accepted")}, {LocalEndPoint} -> {RemoteEndPoint})";
}
