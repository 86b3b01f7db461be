namespace Raft.Actors.Transport.Tcp;

/// <summary>
/// Counters of a <see cref="TcpTransport"/> since it was created, read at one moment (each
/// counter is exact; together they are not an atomic snapshot).
/// </summary>
/// <param name="FramesSent">Frames written to a connection.</param>
/// <param name="MessagesSent">Messages in those frames.</param>
/// <param name="FramesReceived">Frames read and decoded.</param>
/// <param name="MessagesReceived">Messages handed to the sink.</param>
/// <param name="MessagesDroppedQueueFull">Messages dropped because their peer's send queue was full.</param>
/// <param name="MessagesDroppedNoPeer">Messages dropped because their destination is not a configured peer.</param>
/// <param name="MessagesDroppedTooLarge">Messages dropped because one alone encodes to more than <see cref="TcpTransportOptions.MaxFrameBytes"/>.</param>
/// <param name="MessagesRejected">Messages received but dropped: their sender was not the connection's peer, or their recipient not this node.</param>
/// <param name="ConnectionsEstablished">Connections that completed the handshake and were put in use, dialed or accepted.</param>
/// <param name="OpenConnections">Connections in use now (at most one per peer).</param>
/// <param name="ConnectionsRefused">Connections this node refused: failed handshake checks, untrusted certificates, unreadable handshakes.</param>
/// <param name="DialsRefused">Connections this node dialed that the peer refused (duplicates not counted).</param>
/// <param name="ProtocolErrors">Connections closed because the peer sent a malformed frame.</param>
/// <param name="QueuedFrames">Frames waiting in all send queues now.</param>
public sealed record TcpTransportStatistics(
    long FramesSent,
    long MessagesSent,
    long FramesReceived,
    long MessagesReceived,
    long MessagesDroppedQueueFull,
    long MessagesDroppedNoPeer,
    long MessagesDroppedTooLarge,
    long MessagesRejected,
    long ConnectionsEstablished,
    int OpenConnections,
    long ConnectionsRefused,
    long DialsRefused,
    long ProtocolErrors,
    int QueuedFrames);
