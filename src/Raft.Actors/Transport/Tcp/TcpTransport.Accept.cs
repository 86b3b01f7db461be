using System.Net.Sockets;
using Raft.Actors.Protocol;

namespace Raft.Actors.Transport.Tcp;

/// <summary>The accepting side: listen, authenticate, check the hello, answer, then read.</summary>
public sealed partial class TcpTransport
{
    private async Task AcceptLoopAsync(Socket listener)
    {
        var token = _shutdown.Token;
        while (!token.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException && token.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                // A connection reset before it was accepted, or out of descriptors: log and keep
                // accepting (slowly, in case it is the latter).
                TcpTransportLog.AcceptFailed(_logger, NodeId, ex.Message);
                await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
                continue;
            }

            // Each connection is authenticated on its own task: a slow or silent client must not
            // hold up the next one.
            Track(Task.Run(() => RunInboundAsync(socket), CancellationToken.None));
        }
    }

    private async Task RunInboundAsync(Socket socket)
    {
        ConfigureSocket(socket);
        var connection = NewConnection(socket, dialed: false);
        var remote = connection.RemoteEndPoint?.ToString() ?? "?";
        connection.ArmDeadline(Options.HandshakeTimeout, $"the handshake did not complete within {Options.HandshakeTimeout}");
        try
        {
            if (_tls is not null)
            {
                connection.UseStream(await _tls.AuthenticateAsServerAsync(connection.Stream, connection.Lifetime).ConfigureAwait(false));
            }
            else
            {
                connection.UseStream(connection.Stream);
            }

            Handshake? hello;
            try
            {
                hello = await ReadHandshakeAsync(connection).ConfigureAwait(false);
            }
            catch (ProtocolException ex)
            {
                await RefuseAsync(connection, remote, RefusalCode.Malformed, $"unreadable handshake: {ex.Message}", receiver: 0).ConfigureAwait(false);
                return;
            }

            if (hello is null)
            {
                connection.Close("the peer closed the connection before its handshake");
                TcpTransportLog.HandshakeAbandoned(_logger, NodeId, remote);
                return;
            }

            if (CheckHello(hello, out var link) is { } refusal)
            {
                await RefuseAsync(connection, remote, refusal.Code, refusal.Reason, hello.Sender).ConfigureAwait(false);
                return;
            }

            connection.Identify(hello.Sender, hello.Incarnation, dialedBy: hello.Sender);
            if (!link.WouldAdopt(connection.Identity))
            {
                var reason = $"node {NodeId} already has a connection with node {hello.Sender} that it keeps (the one dialed by the lower node id)";
                await AnswerAsync(connection, RefusalCode.Duplicate, reason, hello.Sender).ConfigureAwait(false);
                connection.Close($"refused as a duplicate: {reason}");
                TcpTransportLog.DuplicateRefused(_logger, NodeId, hello.Sender, remote);
                return;
            }

            await AnswerAsync(connection, RefusalCode.None, "", hello.Sender).ConfigureAwait(false);
            connection.DisarmDeadline();
            if (!Adopt(link, connection))
            {
                return;
            }

            await ReadFramesAsync(connection).ConfigureAwait(false);
        }
        catch (TlsHandshakeException ex)
        {
            connection.Close(ex.Message);
            if (ex.RefusedHere)
            {
                Interlocked.Increment(ref _connectionsRefused);
                TcpTransportLog.InboundRefused(_logger, NodeId, remote, ex.Message);
            }
            else
            {
                TcpTransportLog.InboundFailed(_logger, NodeId, remote, ex.Message);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            var reason = connection.CloseReason ?? ex.Message;
            connection.Close(reason);
            TcpTransportLog.InboundFailed(_logger, NodeId, remote, reason);
        }
        catch (Exception ex)
        {
            // Unexpected (a bug, or a TLS stack surprise): this connection goes, the node stays.
            connection.Close($"unexpected error: {ex.Message}");
            TcpTransportLog.ConnectionFailed(_logger, NodeId, remote, ex);
        }
    }

    /// <summary>Why a hello is refused, or null when it is acceptable.</summary>
    private (RefusalCode Code, string Reason)? CheckHello(Handshake hello, out PeerLink link)
    {
        link = null!;
        if (hello.Kind != HandshakeKind.Hello)
        {
            return (RefusalCode.Malformed, $"expected a hello, got a handshake of kind {hello.Kind}");
        }

        if (!string.Equals(hello.ClusterId, ClusterId, StringComparison.Ordinal))
        {
            return (RefusalCode.WrongCluster, $"node {hello.Sender} belongs to cluster '{hello.ClusterId}', not to cluster '{ClusterId}'");
        }

        if (hello.Receiver != NodeId)
        {
            return (RefusalCode.WrongNode, $"node {hello.Sender} expected node {hello.Receiver}, but this is node {NodeId}");
        }

        if (!_links.TryGetValue(hello.Sender, out link!))
        {
            return (RefusalCode.UnknownPeer, $"node {hello.Sender} is not a configured peer of node {NodeId}");
        }

        return null;
    }

    private async Task RefuseAsync(TcpConnection connection, string remote, RefusalCode code, string reason, ulong receiver)
    {
        Interlocked.Increment(ref _connectionsRefused);
        TcpTransportLog.InboundRefused(_logger, NodeId, remote, reason);
        try
        {
            // Best effort: the dialer logs the reason it gets; one that does not speak the
            // protocol gets bytes it ignores.
            await AnswerAsync(connection, code, reason, receiver).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }

        connection.Close($"refused: {reason}");
    }

    private async Task AnswerAsync(TcpConnection connection, RefusalCode code, string reason, ulong receiver)
    {
        var answer = new Handshake(
            code == RefusalCode.None ? HandshakeKind.Accept : HandshakeKind.Refuse,
            code,
            NodeId,
            receiver,
            Incarnation,
            ClusterId,
            reason);
        await connection.WriteAsync(answer.Encode(), timeout: null).ConfigureAwait(false);
    }
}
