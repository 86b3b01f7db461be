using System.IO.Pipelines;
using System.Net.Sockets;
using Raft.Actors.Protocol;

namespace Raft.Actors.Transport.Tcp;

/// <summary>The receiving side of a connection: the handshake, then frames until it closes.</summary>
public sealed partial class TcpTransport
{
    /// <summary>Reads one handshake message; null when the connection ended first.</summary>
    /// <exception cref="ProtocolException">The bytes are not a handshake.</exception>
    private static async Task<Handshake?> ReadHandshakeAsync(TcpConnection connection)
    {
        var reader = connection.Reader!;
        while (true)
        {
            var result = await reader.ReadAsync(connection.Lifetime).ConfigureAwait(false);
            var buffer = result.Buffer;
            bool parsed;
            Handshake? handshake;
            try
            {
                parsed = Handshake.TryParse(ref buffer, out handshake);
            }
            catch
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                throw;
            }

            if (parsed)
            {
                // Consume the handshake only, and leave what follows unexamined: frames the peer
                // sent right behind it are read by ReadFramesAsync without waiting for more bytes.
                reader.AdvanceTo(buffer.Start);
                return handshake;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// Reads frames from a connection in use until it closes, handing their messages to the
    /// sink. A malformed frame closes the connection; nothing escapes.
    /// </summary>
    private async Task ReadFramesAsync(TcpConnection connection)
    {
        var reader = connection.Reader!;
        var peer = connection.PeerId;
        string reason;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(connection.Lifetime).ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    while (TcpFrame.TryRead(ref buffer, Options.MaxFrameBytes, out var frame))
                    {
                        var messages = MessageCodec.Decode(frame, Options.MaxFrameBytes);
                        Interlocked.Increment(ref _framesReceived);
                        Deliver(connection, messages);
                    }
                }
                finally
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }

                if (result.IsCompleted)
                {
                    reason = buffer.IsEmpty
                        ? "the peer closed the connection"
                        : $"the peer closed the connection inside a frame ({buffer.Length} bytes unread)";
                    break;
                }
            }
        }
        catch (ProtocolException ex)
        {
            Interlocked.Increment(ref _protocolErrors);
            reason = $"malformed frame: {ex.Message}";
            TcpTransportLog.MalformedFrame(_logger, NodeId, peer, connection.Id, connection.RemoteEndPoint?.ToString() ?? "?", ex.Message);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            reason = connection.CloseReason ?? ex.Message;
        }
        catch (Exception ex)
        {
            // Unexpected (a bug, or a stream surprise): this connection goes, the node stays.
            reason = $"unexpected error: {ex.Message}";
            TcpTransportLog.ConnectionFailed(_logger, NodeId, connection.RemoteEndPoint?.ToString() ?? "?", ex);
        }

        // Closed elsewhere first (replaced, shut down, write failed), the first reason is the one to log.
        connection.Close(reason);
        TcpTransportLog.ConnectionClosed(_logger, NodeId, peer, connection.Id, connection.CloseReason ?? reason);

        await DisposeStreamAsync(connection, reader).ConfigureAwait(false);
    }

    private void Deliver(TcpConnection connection, IReadOnlyList<RaftMessage> messages)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (message.From != connection.PeerId || message.To != NodeId)
            {
                // A peer speaks only for itself and only to this node; anything else is a bug or
                // an impostor, and either way must not reach a replica.
                Interlocked.Increment(ref _messagesRejected);
                TcpTransportLog.MessageRejected(_logger, NodeId, connection.PeerId, connection.Id, message);
                continue;
            }

            try
            {
                _sink.Deliver(message);
                Interlocked.Increment(ref _messagesReceived);
            }
            catch (Exception ex)
            {
                TcpTransportLog.SinkFailed(_logger, NodeId, message, ex);
            }
        }
    }

    private static async Task DisposeStreamAsync(TcpConnection connection, PipeReader reader)
    {
        try
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            await connection.Stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }
}
