using System.Net;
using Microsoft.Extensions.Logging;
using Raft.Actors.Protocol;

namespace Raft.Actors.Transport.Tcp;

internal static partial class TcpTransportLog
{
    [LoggerMessage(1, LogLevel.Information, "Node {NodeId} of cluster '{ClusterId}' listening on {EndPoint} ({Security})")]
    public static partial void Listening(ILogger logger, ulong nodeId, string clusterId, IPEndPoint endPoint, string security);

    [LoggerMessage(2, LogLevel.Information, "Node {NodeId}: TCP transport stopped")]
    public static partial void Stopped(ILogger logger, ulong nodeId);

    [LoggerMessage(3, LogLevel.Error, "Node {NodeId}: a TCP transport loop failed while stopping")]
    public static partial void StopFailed(ILogger logger, ulong nodeId, Exception exception);

    [LoggerMessage(4, LogLevel.Information, "Node {NodeId} connected to node {PeerId} ({Direction} connection {ConnectionId}, peer at {Remote})")]
    public static partial void Connected(ILogger logger, ulong nodeId, ulong peerId, string direction, long connectionId, string remote);

    [LoggerMessage(5, LogLevel.Information, "Node {NodeId}: connection {ConnectionId} with node {PeerId} closed: {Reason}")]
    public static partial void ConnectionClosed(ILogger logger, ulong nodeId, ulong peerId, long connectionId, string reason);

    [LoggerMessage(6, LogLevel.Debug, "Node {NodeId}: closed connection {ConnectionId} with node {PeerId}: {Reason}")]
    public static partial void NotAdopted(ILogger logger, ulong nodeId, ulong peerId, long connectionId, string reason);

    [LoggerMessage(7, LogLevel.Warning, "Node {NodeId} refused a connection from {Remote}: {Reason}")]
    public static partial void InboundRefused(ILogger logger, ulong nodeId, string remote, string reason);

    [LoggerMessage(8, LogLevel.Information, "Node {NodeId}: handshake with {Remote} failed: {Reason}")]
    public static partial void InboundFailed(ILogger logger, ulong nodeId, string remote, string reason);

    [LoggerMessage(9, LogLevel.Debug, "Node {NodeId}: {Remote} closed its connection before the handshake")]
    public static partial void HandshakeAbandoned(ILogger logger, ulong nodeId, string remote);

    [LoggerMessage(10, LogLevel.Debug, "Node {NodeId} refused a second connection from node {PeerId} at {Remote}: it keeps the one it has")]
    public static partial void DuplicateRefused(ILogger logger, ulong nodeId, ulong peerId, string remote);

    [LoggerMessage(11, LogLevel.Warning, "Node {NodeId}: node {PeerId} at {EndPoint} refused the connection: {Reason}; retrying with backoff")]
    public static partial void DialRefused(ILogger logger, ulong nodeId, ulong peerId, EndPoint endPoint, string reason);

    [LoggerMessage(12, LogLevel.Debug, "Node {NodeId}: node {PeerId} keeps the connection it has: {Reason}")]
    public static partial void DialDuplicate(ILogger logger, ulong nodeId, ulong peerId, string reason);

    [LoggerMessage(13, LogLevel.Warning, "Node {NodeId} refused its connection to node {PeerId} at {EndPoint}: {Reason}; retrying with backoff")]
    public static partial void AnswerRefused(ILogger logger, ulong nodeId, ulong peerId, EndPoint endPoint, string reason);

    [LoggerMessage(14, LogLevel.Information, "Node {NodeId} cannot connect to node {PeerId} at {EndPoint}: {Reason}; retrying with backoff")]
    public static partial void DialFailed(ILogger logger, ulong nodeId, ulong peerId, EndPoint endPoint, string reason);

    [LoggerMessage(15, LogLevel.Debug, "Node {NodeId} cannot connect to node {PeerId} at {EndPoint} (attempt {Attempt}): {Reason}")]
    public static partial void DialFailedAgain(ILogger logger, ulong nodeId, ulong peerId, EndPoint endPoint, int attempt, string reason);

    [LoggerMessage(16, LogLevel.Warning, "Node {NodeId}: closing connection {ConnectionId} with node {PeerId} at {Remote}: {Reason}")]
    public static partial void MalformedFrame(ILogger logger, ulong nodeId, ulong peerId, long connectionId, string remote, string reason);

    [LoggerMessage(17, LogLevel.Debug, "Node {NodeId}: dropped {Message} received from node {PeerId} on connection {ConnectionId}: not from that peer or not to this node")]
    public static partial void MessageRejected(ILogger logger, ulong nodeId, ulong peerId, long connectionId, RaftMessage message);

    [LoggerMessage(18, LogLevel.Error, "Node {NodeId}: the message sink threw on {Message}")]
    public static partial void SinkFailed(ILogger logger, ulong nodeId, RaftMessage message, Exception exception);

    [LoggerMessage(19, LogLevel.Warning, "Node {NodeId}: send queue to node {PeerId} is full ({Frames} frames, {Bytes} bytes); dropping new messages until it drains")]
    public static partial void QueueFull(ILogger logger, ulong peerId, int frames, long bytes, ulong nodeId);

    [LoggerMessage(20, LogLevel.Debug, "Node {NodeId}: dropped {Count} messages for node {PeerId}: not a configured peer")]
    public static partial void DroppedNoPeer(ILogger logger, int count, ulong peerId, ulong nodeId);

    [LoggerMessage(21, LogLevel.Error, "Dropped a {Type} message of group {Group} for node {PeerId}: it encodes to {Bytes} bytes, above MaxFrameBytes {MaxFrameBytes}")]
    public static partial void DroppedTooLarge(ILogger logger, MessageType type, ulong group, ulong peerId, int bytes, int maxFrameBytes);

    [LoggerMessage(23, LogLevel.Error, "Node {NodeId}: connection with {Remote} failed unexpectedly")]
    public static partial void ConnectionFailed(ILogger logger, ulong nodeId, string remote, Exception exception);

    [LoggerMessage(22, LogLevel.Warning, "Node {NodeId}: accepting a connection failed: {Reason}")]
    public static partial void AcceptFailed(ILogger logger, ulong nodeId, string reason);
}
