using System.Net;
using System.Text;
using Raft.Actors.Protocol;

namespace Raft.Actors.Transport.Tcp;

/// <summary>How a <see cref="TcpTransport"/> listens, whom it talks to and within which limits.</summary>
public sealed class TcpTransportOptions
{
    /// <summary>Longest <see cref="ClusterId"/> in UTF-8 bytes.</summary>
    public const int MaxClusterIdBytes = 255;

    /// <summary>Smallest <see cref="MaxFrameBytes"/> accepted.</summary>
    public const int MinFrameBytes = 1024;

    /// <summary>Largest <see cref="MaxFrameBytes"/> accepted: 1 GiB.</summary>
    public const int MaxFrameBytesLimit = 1 << 30;

    /// <summary>Default <see cref="SendQueueCapacity"/>, in frames.</summary>
    public const int DefaultSendQueueCapacity = 1024;

    /// <summary>Default <see cref="SendQueueMaxBytes"/>: 64 MiB.</summary>
    public const long DefaultSendQueueMaxBytes = 64L << 20;

    /// <summary>Default <see cref="ReconnectMinDelay"/>.</summary>
    public static readonly TimeSpan DefaultReconnectMinDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>Default <see cref="ReconnectMaxDelay"/>.</summary>
    public static readonly TimeSpan DefaultReconnectMaxDelay = TimeSpan.FromSeconds(5);

    /// <summary>Default <see cref="ConnectTimeout"/>.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Default <see cref="HandshakeTimeout"/>.</summary>
    public static readonly TimeSpan DefaultHandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Default <see cref="WriteTimeout"/>.</summary>
    public static readonly TimeSpan DefaultWriteTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Names the cluster; a connection between nodes of different clusters is refused in the
    /// handshake. Required, 1 to <see cref="MaxClusterIdBytes"/> bytes of UTF-8, compared ordinally.
    /// </summary>
    public required string ClusterId { get; init; }

    /// <summary>This node's id (non-zero): the <see cref="RaftMessage.From"/> of what it sends, the <see cref="RaftMessage.To"/> of what it accepts.</summary>
    public required ulong NodeId { get; init; }

    /// <summary>
    /// The address to listen on. Port 0 picks a free port; <see cref="TcpTransport.LocalEndPoint"/>
    /// tells which once started.
    /// </summary>
    public required IPEndPoint ListenEndPoint { get; init; }

    /// <summary>
    /// The other nodes, by node id: an <see cref="IPEndPoint"/> or a <see cref="DnsEndPoint"/> each.
    /// Only these may connect; change the set at run time with <see cref="TcpTransport.SetPeer"/>
    /// and <see cref="TcpTransport.RemovePeer"/>.
    /// </summary>
    public IReadOnlyDictionary<ulong, EndPoint> Peers { get; init; } = new Dictionary<ulong, EndPoint>();

    /// <summary>Mutual TLS for every connection; null (the default) sends plain TCP.</summary>
    public TcpTlsOptions? Tls { get; init; }

    /// <summary>
    /// The largest frame, in bytes (without its 4-byte length prefix), sent or accepted. A peer
    /// announcing a larger one is disconnected, so every node of a cluster should use the same value.
    /// </summary>
    public int MaxFrameBytes { get; init; } = MessageCodec.DefaultMaxFrameBytes;

    /// <summary>
    /// Frames waiting per peer. When a peer's queue is full, new messages for it are dropped and
    /// counted (Raft resends what matters); memory never grows past this.
    /// </summary>
    public int SendQueueCapacity { get; init; } = DefaultSendQueueCapacity;

    /// <summary>Bytes waiting per peer; at least <see cref="MaxFrameBytes"/> plus the 4-byte prefix, so one largest frame fits.</summary>
    public long SendQueueMaxBytes { get; init; } = DefaultSendQueueMaxBytes;

    /// <summary>Wait before the second attempt to connect to a peer; doubles per failure, with jitter.</summary>
    public TimeSpan ReconnectMinDelay { get; init; } = DefaultReconnectMinDelay;

    /// <summary>The longest wait between attempts to connect to a peer.</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = DefaultReconnectMaxDelay;

    /// <summary>How long a TCP connect may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = DefaultConnectTimeout;

    /// <summary>How long the TLS and transport handshakes of one connection may take together, on either side.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = DefaultHandshakeTimeout;

    /// <summary>
    /// How long one write to a connection may take; a peer that stops reading for longer is
    /// considered gone and its connection is closed.
    /// </summary>
    public TimeSpan WriteTimeout { get; init; } = DefaultWriteTimeout;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option and its value.</summary>
    public void Validate()
    {
        if (string.IsNullOrEmpty(ClusterId))
        {
            throw new ArgumentException("TcpTransportOptions.ClusterId is required (was empty).", nameof(ClusterId));
        }

        var clusterIdBytes = Encoding.UTF8.GetByteCount(ClusterId);
        if (clusterIdBytes > MaxClusterIdBytes)
        {
            throw new ArgumentException($"TcpTransportOptions.ClusterId must be at most {MaxClusterIdBytes} bytes of UTF-8 (was {clusterIdBytes}).", nameof(ClusterId));
        }

        if (NodeId == 0)
        {
            throw new ArgumentException("TcpTransportOptions.NodeId must be non-zero (was 0).", nameof(NodeId));
        }

        if (ListenEndPoint is null)
        {
            throw new ArgumentException("TcpTransportOptions.ListenEndPoint is required (was null).", nameof(ListenEndPoint));
        }

        if (Peers is null)
        {
            throw new ArgumentException("TcpTransportOptions.Peers must not be null.", nameof(Peers));
        }

        foreach (var (id, endPoint) in Peers)
        {
            ValidatePeer(NodeId, id, endPoint, "TcpTransportOptions.Peers", nameof(Peers));
        }

        if (MaxFrameBytes is < MinFrameBytes or > MaxFrameBytesLimit)
        {
            throw new ArgumentException($"TcpTransportOptions.MaxFrameBytes must be between {MinFrameBytes} and {MaxFrameBytesLimit} (was {MaxFrameBytes}).", nameof(MaxFrameBytes));
        }

        if (SendQueueCapacity < 1)
        {
            throw new ArgumentException($"TcpTransportOptions.SendQueueCapacity must be at least 1 (was {SendQueueCapacity}).", nameof(SendQueueCapacity));
        }

        if (SendQueueMaxBytes < (long)MaxFrameBytes + TcpFrame.PrefixLength)
        {
            throw new ArgumentException($"TcpTransportOptions.SendQueueMaxBytes must hold one largest frame, at least MaxFrameBytes + {TcpFrame.PrefixLength} = {(long)MaxFrameBytes + TcpFrame.PrefixLength} (was {SendQueueMaxBytes}).", nameof(SendQueueMaxBytes));
        }

        RequirePositive(ReconnectMinDelay, nameof(ReconnectMinDelay));
        RequirePositive(ReconnectMaxDelay, nameof(ReconnectMaxDelay));
        if (ReconnectMaxDelay < ReconnectMinDelay)
        {
            throw new ArgumentException($"TcpTransportOptions.ReconnectMaxDelay must be at least ReconnectMinDelay {ReconnectMinDelay} (was {ReconnectMaxDelay}).", nameof(ReconnectMaxDelay));
        }

        RequirePositive(ConnectTimeout, nameof(ConnectTimeout));
        RequirePositive(HandshakeTimeout, nameof(HandshakeTimeout));
        RequirePositive(WriteTimeout, nameof(WriteTimeout));
        Tls?.Validate();
    }

    internal static void ValidatePeer(ulong self, ulong id, EndPoint? endPoint, string where, string paramName)
    {
        if (id == 0)
        {
            throw new ArgumentException($"{where}: a peer's node id must be non-zero (was 0).", paramName);
        }

        if (id == self)
        {
            throw new ArgumentException($"{where}: node {id} is this node and cannot be its own peer.", paramName);
        }

        if (endPoint is not (IPEndPoint or DnsEndPoint))
        {
            throw new ArgumentException($"{where}: the end point of peer {id} must be an IPEndPoint or a DnsEndPoint (was {endPoint?.GetType().Name ?? "null"}).", paramName);
        }
    }

    private static void RequirePositive(TimeSpan value, string name)
    {
        // Timers take at most int.MaxValue milliseconds (about 24.8 days).
        if (value <= TimeSpan.Zero || value.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentException($"TcpTransportOptions.{name} must be positive and at most {TimeSpan.FromMilliseconds(int.MaxValue)} (was {value}).", name);
        }
    }
}
