using System.Net;
using System.Net.Sockets;
using Raft.Actors.Protocol;

namespace Raft.Actors.Transport.Tcp;

/// <summary>The dialing side: connect, authenticate, say hello, check the answer, then read.</summary>
public sealed partial class TcpTransport
{
    /// <summary>
    /// Dials <paramref name="link"/>'s peer once. Returns the connection now in use (this one),
    /// or null when the attempt failed or was refused, logged with its reason. Throws only
    /// <see cref="OperationCanceledException"/>, when <paramref name="stop"/> is cancelled.
    /// </summary>
    internal async Task<TcpConnection?> DialAsync(PeerLink link, EndPoint endPoint, int failures, CancellationToken stop)
    {
        var peer = link.PeerId;
        var socket = endPoint is IPEndPoint ip
            ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        TcpConnection? connection = null;
        try
        {
            ConfigureSocket(socket);
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(stop, _shutdown.Token))
            {
                connectTimeout.CancelAfter(Options.ConnectTimeout);
                try
                {
                    await socket.ConnectAsync(endPoint, connectTimeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested && !_shutdown.IsCancellationRequested)
                {
                    throw new TimeoutException($"connecting took longer than {Options.ConnectTimeout}");
                }
            }

            connection = NewConnection(socket, dialed: true);
            connection.ArmDeadline(Options.HandshakeTimeout, $"the handshake did not complete within {Options.HandshakeTimeout}");
            if (_tls is not null)
            {
                connection.UseStream(await _tls.AuthenticateAsClientAsync(connection.Stream, TargetHost(endPoint), connection.Lifetime).ConfigureAwait(false));
            }
            else
            {
                connection.UseStream(connection.Stream);
            }

            var hello = new Handshake(HandshakeKind.Hello, RefusalCode.None, NodeId, peer, Incarnation, ClusterId, "");
            await connection.WriteAsync(hello.Encode(), timeout: null).ConfigureAwait(false);
            var answer = await ReadHandshakeAsync(connection).ConfigureAwait(false)
                ?? throw new IOException(connection.CloseReason ?? "the peer closed the connection during the handshake");
            connection.DisarmDeadline();

            if (answer.Kind == HandshakeKind.Refuse)
            {
                connection.Close($"refused by the peer: {answer.Reason}");
                if (answer.Code == RefusalCode.Duplicate)
                {
                    TcpTransportLog.DialDuplicate(_logger, NodeId, peer, answer.Reason);
                }
                else
                {
                    Interlocked.Increment(ref _dialsRefused);
                    TcpTransportLog.DialRefused(_logger, NodeId, peer, endPoint, answer.Reason);
                }

                return null;
            }

            if (CheckAnswer(answer, peer) is { } mismatch)
            {
                Interlocked.Increment(ref _connectionsRefused);
                connection.Close($"refused: {mismatch}");
                TcpTransportLog.AnswerRefused(_logger, NodeId, peer, endPoint, mismatch);
                return null;
            }

            connection.Identify(peer, answer.Incarnation, dialedBy: NodeId);
            if (!Adopt(link, connection))
            {
                return link.Current;
            }

            var reading = connection;
            Track(Task.Run(() => ReadFramesAsync(reading), CancellationToken.None));
            return connection;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested || _shutdown.IsCancellationRequested)
        {
            CloseFailed(socket, connection, $"node {NodeId} stopped dialing node {peer}");
            stop.ThrowIfCancellationRequested();
            return null;
        }
        catch (TlsHandshakeException ex)
        {
            CloseFailed(socket, connection, ex.Message);
            if (ex.RefusedHere)
            {
                Interlocked.Increment(ref _connectionsRefused);
                TcpTransportLog.AnswerRefused(_logger, NodeId, peer, endPoint, ex.Message);
            }
            else
            {
                LogDialFailed(peer, endPoint, failures, ex.Message);
            }

            return null;
        }
        catch (ProtocolException ex)
        {
            var reason = $"unreadable handshake answer: {ex.Message}";
            CloseFailed(socket, connection, reason);
            Interlocked.Increment(ref _connectionsRefused);
            TcpTransportLog.AnswerRefused(_logger, NodeId, peer, endPoint, reason);
            return null;
        }
        catch (Exception ex) when (ex is IOException or SocketException or TimeoutException or ObjectDisposedException or OperationCanceledException)
        {
            var reason = connection?.CloseReason ?? ex.Message;
            CloseFailed(socket, connection, reason);
            LogDialFailed(peer, endPoint, failures, reason);
            return null;
        }
        catch (Exception ex)
        {
            // Unexpected (a bug, or a TLS stack surprise): this attempt fails, the writer loop goes on.
            CloseFailed(socket, connection, $"unexpected error: {ex.Message}");
            TcpTransportLog.ConnectionFailed(_logger, NodeId, endPoint.ToString() ?? "?", ex);
            return null;
        }
    }

    /// <summary>Why an accepting answer does not come from the node dialed, or null when it does.</summary>
    private string? CheckAnswer(Handshake answer, ulong peer)
    {
        if (answer.Kind != HandshakeKind.Accept)
        {
            return $"expected an answer, got a handshake of kind {answer.Kind}";
        }

        if (!string.Equals(answer.ClusterId, ClusterId, StringComparison.Ordinal))
        {
            return $"the node there belongs to cluster '{answer.ClusterId}', not to cluster '{ClusterId}'";
        }

        if (answer.Sender != peer)
        {
            return $"the node there is node {answer.Sender}, not node {peer}";
        }

        if (answer.Receiver != NodeId)
        {
            return $"the node there answered node {answer.Receiver}, not this node {NodeId}";
        }

        return null;
    }

    private static void CloseFailed(Socket socket, TcpConnection? connection, string reason)
    {
        if (connection is not null)
        {
            connection.Close(reason);
        }
        else
        {
            socket.Dispose();
        }
    }

    private void LogDialFailed(ulong peer, EndPoint endPoint, int failures, string reason)
    {
        // The first failure in a row is worth an operator's attention; its repetitions every
        // backoff step are not.
        if (failures == 0)
        {
            TcpTransportLog.DialFailed(_logger, NodeId, peer, endPoint, reason);
        }
        else
        {
            TcpTransportLog.DialFailedAgain(_logger, NodeId, peer, endPoint, failures + 1, reason);
        }
    }

    private static string TargetHost(EndPoint endPoint) => endPoint switch
    {
        DnsEndPoint dns => dns.Host,
        IPEndPoint ip => ip.Address.ToString(),
        _ => endPoint.ToString() ?? "",
    };

    /// <summary>Puts a connection whose handshake is done in use, or closes it when the other connection is preferred.</summary>
    private bool Adopt(PeerLink link, TcpConnection connection)
    {
        if (!link.TryAdopt(connection, out var replaced))
        {
            var reason = $"node {NodeId} keeps its other connection with node {link.PeerId}";
            connection.Close(reason);
            TcpTransportLog.NotAdopted(_logger, NodeId, link.PeerId, connection.Id, reason);
            return false;
        }

        replaced?.Close($"replaced by {connection}");
        Interlocked.Increment(ref _connectionsEstablished);
        TcpTransportLog.Connected(_logger, NodeId, link.PeerId, connection.Dialed ? "dialed" : "accepted", connection.Id, connection.RemoteEndPoint?.ToString() ?? "?");
        return true;
    }
}
