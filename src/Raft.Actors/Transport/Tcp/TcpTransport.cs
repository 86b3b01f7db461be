using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Runtime;

namespace Raft.Actors.Transport.Tcp;

/// <summary>
/// Carries replica messages between standalone nodes over TCP (optionally mutual TLS): one
/// connection per pair of nodes, shared by every group and by both directions, each message
/// batch one length-prefixed <see cref="MessageCodec"/> frame. Inbound messages go to the
/// <see cref="IRaftMessageSink"/> given at construction. See <c>docs/transport.md</c>.
/// </summary>
/// <remarks>
/// <para><b>Delivery.</b> Best effort, as <see cref="IRaftTransport"/> allows: a message is lost
/// when its peer's send queue is full, when its connection breaks, or when its peer is not
/// configured; it is never duplicated by the transport. Messages to one peer arrive in the order
/// they were sent while one connection lasts.</para>
/// <para><b>Bad peers.</b> A node of another cluster, a peer that expected another node id, an
/// untrusted certificate or a malformed handshake is refused; a malformed frame closes its
/// connection. Each is logged with its reason; nothing else is affected.</para>
/// <para><b>Threading.</b> Every public member may be called from any thread. The sink is called
/// from the receive loops, one per connection, concurrently.</para>
/// </remarks>
public sealed partial class TcpTransport : IRaftTransport, IAsyncDisposable
{
    private readonly IRaftMessageSink _sink;
    private readonly ILogger _logger;
    private readonly IRandomSource _random;
    private readonly Lock _randomGate = new();
    private readonly Lock _peersGate = new();
    private readonly TlsAuthenticator? _tls;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly ConcurrentDictionary<TcpConnection, byte> _connections = new();
    private readonly ConcurrentDictionary<Task, byte> _tasks = new();
    private volatile Dictionary<ulong, PeerLink> _links;
    private Socket? _listener;
    private Task? _acceptLoop;
    private int _state; // 0 created, 1 started, 2 disposed

    private long _framesSent;
    private long _messagesSent;
    private long _framesReceived;
    private long _messagesReceived;
    private long _messagesDroppedQueueFull;
    private long _messagesDroppedNoPeer;
    private long _messagesDroppedTooLarge;
    private long _messagesRejected;
    private long _connectionsEstablished;
    private long _connectionsRefused;
    private long _dialsRefused;
    private long _protocolErrors;

    /// <summary>Creates a transport; <see cref="StartAsync"/> starts listening and sending.</summary>
    /// <param name="options">Identity, peers and limits; validated here.</param>
    /// <param name="sink">Receives every accepted inbound message.</param>
    /// <param name="logger">Diagnostics: refusals and malformed input as warnings, connections as information.</param>
    /// <param name="random">Jitter for the reconnect backoff (default: shared random).</param>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public TcpTransport(TcpTransportOptions options, IRaftMessageSink sink, ILogger? logger = null, IRandomSource? random = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        options.Validate();
        Options = options;
        _sink = sink;
        _logger = logger ?? NullLogger.Instance;
        _random = random ?? new SystemRandomSource();
        _tls = options.Tls is { } tls ? new TlsAuthenticator(tls) : null;

        // The incarnation tells a restarted process from its previous life (ConnectionRule). It
        // must differ across restarts even when the injected random is seeded, so it does not
        // come from there.
        Incarnation = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(sizeof(ulong)));
        var links = new Dictionary<ulong, PeerLink>();
        foreach (var (id, endPoint) in options.Peers)
        {
            links[id] = new PeerLink(this, id, endPoint, options);
        }

        _links = links;
    }

    /// <summary>Creates a transport that hands inbound messages to <paramref name="deliver"/>; see the other constructor.</summary>
    /// <remarks>Handy when the receiver is built after the transport: <c>new TcpTransport(options, m => replica.Deliver(m))</c>.</remarks>
    public TcpTransport(TcpTransportOptions options, Action<RaftMessage> deliver, ILogger? logger = null, IRandomSource? random = null)
        : this(options, new DelegateSink(deliver ?? throw new ArgumentNullException(nameof(deliver))), logger, random)
    {
    }

    /// <summary>This node's id.</summary>
    public ulong NodeId => Options.NodeId;

    /// <summary>The cluster this node belongs to.</summary>
    public string ClusterId => Options.ClusterId;

    /// <summary>The address the transport listens on (with the port picked for port 0); null before <see cref="StartAsync"/>.</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>The counters as of now.</summary>
    public TcpTransportStatistics Statistics
    {
        get
        {
            var open = 0;
            var queued = 0;
            foreach (var link in _links.Values)
            {
                open += link.Current is null ? 0 : 1;
                queued += link.Queue.Count;
            }

            return new TcpTransportStatistics(
                Interlocked.Read(ref _framesSent),
                Interlocked.Read(ref _messagesSent),
                Interlocked.Read(ref _framesReceived),
                Interlocked.Read(ref _messagesReceived),
                Interlocked.Read(ref _messagesDroppedQueueFull),
                Interlocked.Read(ref _messagesDroppedNoPeer),
                Interlocked.Read(ref _messagesDroppedTooLarge),
                Interlocked.Read(ref _messagesRejected),
                Interlocked.Read(ref _connectionsEstablished),
                open,
                Interlocked.Read(ref _connectionsRefused),
                Interlocked.Read(ref _dialsRefused),
                Interlocked.Read(ref _protocolErrors),
                queued);
        }
    }

    internal TcpTransportOptions Options { get; }

    /// <summary>This process's incarnation, sent in every handshake.</summary>
    internal ulong Incarnation { get; }

    /// <summary>
    /// Binds the listening socket and starts accepting connections and sending queued messages.
    /// Completes once listening; <see cref="LocalEndPoint"/> is then set.
    /// </summary>
    /// <exception cref="SocketException">The address cannot be bound (in use, not local).</exception>
    /// <exception cref="InvalidOperationException">Already started.</exception>
    /// <exception cref="ObjectDisposedException">Disposed.</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _state) == 2, this);
        var listener = new Socket(Options.ListenEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (!OperatingSystem.IsWindows())
            {
                // Lets a restarted node bind its port while connections of its previous life sit
                // in TIME_WAIT (on Windows the option means something else: sharing the port).
                listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            }

            listener.Bind(Options.ListenEndPoint);
            listener.Listen(512);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            listener.Dispose();
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _state) == 2, this);
            throw new InvalidOperationException($"The TCP transport of node {NodeId} is already started.");
        }

        _listener = listener;
        LocalEndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _acceptLoop = Task.Run(() => AcceptLoopAsync(listener), CancellationToken.None);
        lock (_peersGate)
        {
            foreach (var link in _links.Values)
            {
                link.Start();
            }
        }

        TcpTransportLog.Listening(_logger, NodeId, ClusterId, LocalEndPoint, _tls is null ? "plain TCP" : "mutual TLS");
        return Task.CompletedTask;
    }

    /// <summary>
    /// Queues <paramref name="messages"/> and returns at once: one frame per destination node
    /// (split only if it would exceed <see cref="TcpTransportOptions.MaxFrameBytes"/>). Messages
    /// for a node that is not a configured peer, or whose queue is full, are dropped and counted.
    /// Before <see cref="StartAsync"/> messages wait in the queues; after disposal they are dropped.
    /// </summary>
    /// <exception cref="ArgumentException">A message fails <see cref="MessageCodec"/>'s checks (a bug in the sender); messages for other destinations may have been queued.</exception>
    public void Send(IReadOnlyList<RaftMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0 || Volatile.Read(ref _state) == 2)
        {
            return;
        }

        var to = 0UL;
        var single = true;
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i] ?? throw new ArgumentNullException(nameof(messages), $"Message {i} of {messages.Count} is null.");
            single &= i == 0 || message.To == to;
            to = message.To;
        }

        if (single)
        {
            SendTo(to, messages);
            return;
        }

        // Several destinations: one list per destination, in the order given.
        var byDestination = new Dictionary<ulong, List<RaftMessage>>();
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (!byDestination.TryGetValue(message.To, out var list))
            {
                byDestination[message.To] = list = [];
            }

            list.Add(message);
        }

        foreach (var (destination, list) in byDestination)
        {
            SendTo(destination, list);
        }
    }

    /// <summary>
    /// Adds a peer or changes its address. A changed address is used for the next dial (at once
    /// if the link is waiting to redial); a connection already up stays up.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="nodeId"/> is 0 or this node, or the end point is not an <see cref="IPEndPoint"/> or <see cref="DnsEndPoint"/>.</exception>
    public void SetPeer(ulong nodeId, EndPoint endPoint)
    {
        TcpTransportOptions.ValidatePeer(NodeId, nodeId, endPoint, "TcpTransport.SetPeer", nameof(endPoint));
        lock (_peersGate)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _state) == 2, this);
            if (_links.TryGetValue(nodeId, out var link))
            {
                link.SetEndPoint(endPoint);
                return;
            }

            link = new PeerLink(this, nodeId, endPoint, Options);
            _links = new Dictionary<ulong, PeerLink>(_links) { [nodeId] = link };
            if (Volatile.Read(ref _state) == 1)
            {
                link.Start();
            }
        }
    }

    /// <summary>
    /// Forgets a peer: its queued messages are dropped, its connection closed, and it may no
    /// longer connect. Returns false when it was not a peer.
    /// </summary>
    public bool RemovePeer(ulong nodeId)
    {
        PeerLink? link;
        lock (_peersGate)
        {
            if (!_links.TryGetValue(nodeId, out link))
            {
                return false;
            }

            var links = new Dictionary<ulong, PeerLink>(_links);
            links.Remove(nodeId);
            _links = links;
        }

        link.Stop($"node {nodeId} was removed from the peers of node {NodeId}");
        Track(link.Writer);
        return true;
    }

    /// <summary>
    /// Stops listening, closes every connection, stops every loop and drops queued messages.
    /// Completes when all of it has stopped.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _state, 2) == 2)
        {
            return;
        }

        _shutdown.Cancel();
        _listener?.Dispose();
        Dictionary<ulong, PeerLink> links;
        lock (_peersGate)
        {
            links = _links;
        }

        var waits = new List<Task>();
        foreach (var link in links.Values)
        {
            link.Stop($"node {NodeId} is shutting down");
            waits.Add(link.Writer);
        }

        foreach (var connection in _connections.Keys)
        {
            connection.Close($"node {NodeId} is shutting down");
        }

        if (_acceptLoop is not null)
        {
            waits.Add(_acceptLoop);
        }

        waits.AddRange(_tasks.Keys);
        try
        {
            await Task.WhenAll(waits).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The loops catch what they expect; anything else is a bug worth seeing, not worth a failed dispose.
            TcpTransportLog.StopFailed(_logger, NodeId, ex);
        }

        TcpTransportLog.Stopped(_logger, NodeId);
    }

    /// <summary>A value in [0, 1] for the backoff jitter.</summary>
    internal double NextJitter()
    {
        lock (_randomGate)
        {
            return _random.Next(1_000_001) / 1_000_000.0;
        }
    }

    /// <summary>Counts a written batch.</summary>
    internal void CountSent(List<OutboundFrame> batch)
    {
        var messages = 0;
        foreach (var frame in batch)
        {
            messages += frame.Messages;
        }

        Interlocked.Add(ref _framesSent, batch.Count);
        Interlocked.Add(ref _messagesSent, messages);
    }

    /// <summary>The connection currently in use with <paramref name="peerId"/>, for tests.</summary>
    internal TcpConnection? ConnectionTo(ulong peerId) => _links.TryGetValue(peerId, out var link) ? link.Current : null;

    /// <summary>Frames waiting for <paramref name="peerId"/>, for tests.</summary>
    internal int QueuedFramesFor(ulong peerId) => _links.TryGetValue(peerId, out var link) ? link.Queue.Count : 0;

    private void SendTo(ulong to, IReadOnlyList<RaftMessage> messages)
    {
        if (!_links.TryGetValue(to, out var link))
        {
            Interlocked.Add(ref _messagesDroppedNoPeer, messages.Count);
            TcpTransportLog.DroppedNoPeer(_logger, messages.Count, to, NodeId);
            return;
        }

        Enqueue(link, messages);
    }

    private void Enqueue(PeerLink link, IReadOnlyList<RaftMessage> messages)
    {
        var writer = new PooledFrameWriter(EstimateFrameBytes(messages));
        try
        {
            MessageCodec.Encode(messages, writer);
        }
        catch
        {
            writer.Discard();
            throw;
        }

        if (writer.FrameLength > Options.MaxFrameBytes)
        {
            var length = writer.FrameLength;
            writer.Discard();
            if (messages.Count == 1)
            {
                var message = messages[0];
                Interlocked.Increment(ref _messagesDroppedTooLarge);
                TcpTransportLog.DroppedTooLarge(_logger, message.Type, message.Group, link.PeerId, length, Options.MaxFrameBytes);
                return;
            }

            // Too much for one frame: halve the batch until each part fits. Rare (MaxFrameBytes is
            // far above what a replica batches by default), so the copies do not matter.
            var half = messages.Count / 2;
            var all = new RaftMessage[messages.Count];
            for (var i = 0; i < all.Length; i++)
            {
                all[i] = messages[i];
            }

            Enqueue(link, new ArraySegment<RaftMessage>(all, 0, half));
            Enqueue(link, new ArraySegment<RaftMessage>(all, half, all.Length - half));
            return;
        }

        var frame = writer.Complete(messages.Count);
        if (link.Queue.TryEnqueue(frame))
        {
            link.QueueAccepted();
            return;
        }

        frame.Release();
        Interlocked.Add(ref _messagesDroppedQueueFull, messages.Count);
        if (Volatile.Read(ref _state) != 2 && link.ReportQueueFull())
        {
            TcpTransportLog.QueueFull(_logger, link.PeerId, link.Queue.Count, link.Queue.Bytes, NodeId);
        }
    }

    private static int EstimateFrameBytes(IReadOnlyList<RaftMessage> messages)
    {
        // A first guess for the buffer; it grows when short.
        long estimate = TcpFrame.PrefixLength + MessageCodec.HeaderLength + 5;
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (message is null)
            {
                continue;
            }

            estimate += 64 + message.Context.Length;
            if (!message.Entries.IsDefaultOrEmpty)
            {
                foreach (var entry in message.Entries)
                {
                    estimate += 48 + (entry?.Data.Length ?? 0);
                }
            }
        }

        return (int)Math.Min(estimate, 1 << 20);
    }

    /// <summary>Keeps <paramref name="task"/> for <see cref="DisposeAsync"/> to wait on until it completes.</summary>
    private void Track(Task task)
    {
        _tasks.TryAdd(task, 0);
        task.ContinueWith(static (t, state) => ((ConcurrentDictionary<Task, byte>)state!).TryRemove(t, out _), _tasks, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private TcpConnection NewConnection(Socket socket, bool dialed)
    {
        var connection = new TcpConnection(socket, dialed, OnConnectionClosed);
        _connections.TryAdd(connection, 0);

        // A connection created while disposing would escape the sweep over _connections.
        if (Volatile.Read(ref _state) == 2)
        {
            connection.Close($"node {NodeId} is shutting down");
        }

        return connection;
    }

    private void OnConnectionClosed(TcpConnection connection)
    {
        _connections.TryRemove(connection, out _);
        if (connection.PeerId != 0 && _links.TryGetValue(connection.PeerId, out var link))
        {
            link.Detach(connection);
        }
    }

    private static void ConfigureSocket(Socket socket)
    {
        socket.NoDelay = true;
        try
        {
            // An idle connection to a peer that vanished (power loss, partition) is noticed
            // within about a minute instead of hours.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 30);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 10);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
        }
        catch (Exception ex) when (ex is SocketException or PlatformNotSupportedException)
        {
        }
    }

    private sealed class DelegateSink(Action<RaftMessage> deliver) : IRaftMessageSink
    {
        public void Deliver(RaftMessage message) => deliver(message);
    }
}
