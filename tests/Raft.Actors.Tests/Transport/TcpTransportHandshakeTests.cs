using System.Buffers;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Raft.Actors.Protocol;
using Raft.Actors.Transport.Tcp;
using Xunit;
using static Raft.Actors.Tests.Transport.TcpTestKit;

namespace Raft.Actors.Tests.Transport;

public sealed class TcpTransportHandshakeTests
{
    [Fact]
    public async Task A_node_of_another_cluster_is_refused_with_the_reason_logged_on_both_sides()
    {
        await using var a = await TestNode.StartAsync(Options(1, cluster: "alpha"));
        await using var b = await TestNode.StartAsync(Options(2, cluster: "beta"));
        Connect(a, b);

        a.Transport.Send([Heartbeat(1, 2, 7, 1)]);
        await b.Logger.WaitForAsync(LogLevel.Warning, "node 1 belongs to cluster 'alpha', not to cluster 'beta'");
        await a.Logger.WaitForAsync(LogLevel.Warning, "node 2 at");
        Assert.Contains(a.Logger.Entries, e => e.Level == LogLevel.Warning && e.Text.Contains("refused the connection: node 1 belongs to cluster 'alpha'", StringComparison.Ordinal));

        b.Transport.Send([Heartbeat(2, 1, 7, 1)]);
        await a.Logger.WaitForAsync(LogLevel.Warning, "node 2 belongs to cluster 'beta', not to cluster 'alpha'");

        Assert.True(a.Transport.Statistics.ConnectionsRefused >= 1, a.ToString());
        Assert.True(b.Transport.Statistics.ConnectionsRefused >= 1, b.ToString());
        Assert.True(a.Transport.Statistics.DialsRefused >= 1, a.ToString());
        Assert.Equal(0, a.Transport.Statistics.ConnectionsEstablished + b.Transport.Statistics.ConnectionsEstablished);
        Assert.Equal(0, a.Sink.Count + b.Sink.Count);
    }

    [Fact]
    public async Task A_dialer_that_expects_another_node_id_is_refused()
    {
        // a believes node 2 lives where node 3 listens.
        await using var a = await TestNode.StartAsync(Options(1));
        await using var c = await TestNode.StartAsync(Options(3));
        c.Transport.SetPeer(1, a.EndPoint);
        a.Transport.SetPeer(2, c.EndPoint);

        a.Transport.Send([Heartbeat(1, 2, 7, 1)]);

        await c.Logger.WaitForAsync(LogLevel.Warning, "node 1 expected node 2, but this is node 3");
        await a.Logger.WaitForAsync(LogLevel.Warning, "refused the connection: node 1 expected node 2, but this is node 3");
        Assert.Equal(0, c.Sink.Count);
        Assert.Equal(0, c.Transport.Statistics.ConnectionsEstablished);
        Assert.True(c.Transport.Statistics.ConnectionsRefused >= 1, c.ToString());
    }

    [Fact]
    public async Task A_client_that_never_completes_the_handshake_is_disconnected_after_the_timeout()
    {
        var options = Options(1);
        options = new TcpTransportOptions
        {
            ClusterId = options.ClusterId,
            NodeId = 1,
            ListenEndPoint = options.ListenEndPoint,
            HandshakeTimeout = TimeSpan.FromMilliseconds(300),
        };
        await using var a = await TestNode.StartAsync(options);
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(a.EndPoint);

        await ReadUntilClosedAsync(silent);

        await a.Logger.WaitForAsync(LogLevel.Information, "the handshake did not complete within");
    }

    [Fact]
    public void A_handshake_round_trips_and_a_corrupted_one_is_refused_with_a_reason()
    {
        var hello = new Handshake(HandshakeKind.Hello, RefusalCode.None, 3, 1, 42, "clüster", "");
        var refusal = new Handshake(HandshakeKind.Refuse, RefusalCode.WrongCluster, 1, 0, 7, "x", new string('é', 2000));

        Assert.Equal(hello, Parse(hello.Encode()));
        var parsed = Parse(refusal.Encode())!;
        Assert.True(Encoding.UTF8.GetByteCount(parsed.Reason) <= Handshake.MaxReasonBytes);
        Assert.StartsWith("éé", parsed.Reason, StringComparison.Ordinal);

        // Incomplete: not yet.
        var bytes = hello.Encode();
        var partial = new ReadOnlySequence<byte>(bytes, 0, bytes.Length - 1);
        Assert.False(Handshake.TryParse(ref partial, out _));

        // Wrong magic, even before a whole header has arrived.
        var http = new ReadOnlySequence<byte>("GE"u8.ToArray());
        Assert.Contains("not the magic", Assert.Throws<ProtocolException>(() => Handshake.TryParse(ref http, out _)).Message, StringComparison.Ordinal);

        // Another version.
        bytes[4] = 9;
        Assert.Contains("version 9", Assert.Throws<ProtocolException>(() => Parse(bytes)).Message, StringComparison.Ordinal);
    }

    private static Handshake? Parse(byte[] bytes)
    {
        var sequence = new ReadOnlySequence<byte>(bytes);
        Assert.True(Handshake.TryParse(ref sequence, out var handshake));
        Assert.True(sequence.IsEmpty);
        return handshake;
    }
}

public sealed class TcpTransportMalformedInputTests
{
    public static TheoryData<string> Attacks => ["garbage", "oversized length", "zero length", "bad magic", "bad version", "undecodable body"];

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Malformed_input_closes_only_its_connection_and_a_well_behaved_peer_keeps_talking(string attack)
    {
        var nodes = await StartNodesAsync(1, 2);
        await using var a = nodes[0];
        await using var b = nodes[1];
        a.Transport.SetPeer(3, DeadEndPoint());
        a.Transport.Send([Heartbeat(1, 2, 7, 1)]);
        await b.Sink.WaitForCountAsync(1);
        var connectionToB = a.Transport.ConnectionTo(2);

        var (bytes, expected, refusedInHandshake) = attack switch
        {
            "garbage" => ("GET / HTTP/1.1\r\nHost: raft\r\n\r\n"u8.ToArray(), "not the magic", true),
            "oversized length" => (Hello(3, [0x7F, 0xFF, 0xFF, 0xFF]), "Frame length 2147483647 exceeds the limit", false),
            "zero length" => (Hello(3, [0, 0, 0, 0]), "Frame length is 0", false),
            "bad magic" => (Hello(3, [0, 0, 0, 10, .. "JUNKJUNKJU"u8]), "not the magic", false),
            "bad version" => (Hello(3, [0, 0, 0, 6, .. "RAFT"u8, 9, 0x90]), "format version 9", false),
            "undecodable body" => (Hello(3, [0, 0, 0, 11, .. "RAFT"u8, 1, 0x91, 0xC1, 0xC1, 0xC1, 0xC1, 0xC1]), "Frame is malformed", false),
            _ => throw new ArgumentOutOfRangeException(nameof(attack)),
        };

        using (var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await raw.ConnectAsync(a.EndPoint);
            await raw.SendAsync(bytes);
            await ReadUntilClosedAsync(raw);
        }

        var line = refusedInHandshake ? "refused a connection from" : "closing connection";
        await a.Logger.WaitForAsync(LogLevel.Warning, expected);
        Assert.Contains(a.Logger.Entries, e => e.Level == LogLevel.Warning && e.Text.Contains(line, StringComparison.Ordinal) && e.Text.Contains(expected, StringComparison.Ordinal));
        Assert.Equal(refusedInHandshake ? 0 : 1, a.Transport.Statistics.ProtocolErrors);

        // The good connection was not touched, and carries messages both ways.
        a.Transport.Send([Heartbeat(1, 2, 7, 2)]);
        b.Transport.Send([Heartbeat(2, 1, 7, 3)]);
        await b.Sink.WaitForCountAsync(2);
        await a.Sink.WaitForCountAsync(1);
        Assert.Same(connectionToB, a.Transport.ConnectionTo(2));
        Assert.All(a.Sink.Messages, m => Assert.Equal(2UL, m.From));
    }

    [Fact]
    public async Task Messages_a_peer_sends_in_the_name_of_another_node_or_for_another_node_are_dropped()
    {
        await using var a = await TestNode.StartAsync(Options(1));
        a.Transport.SetPeer(3, DeadEndPoint());
        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await raw.ConnectAsync(a.EndPoint);

        // Node 3 sends one message as itself, one in the name of node 2, one for node 4.
        var frame = MessageCodec.Encode([Heartbeat(3, 1, 7, 1), Heartbeat(2, 1, 7, 2), Heartbeat(3, 4, 7, 3)]);
        byte[] prefix = [(byte)(frame.Length >> 24), (byte)(frame.Length >> 16), (byte)(frame.Length >> 8), (byte)frame.Length];
        await raw.SendAsync(Hello(3, [.. prefix, .. frame]));

        await a.Sink.WaitForCountAsync(1);
        await EventuallyAsync(() => a.Transport.Statistics.MessagesRejected == 2, () => $"two messages rejected: {a}");
        Assert.Equal(1UL, Assert.Single(a.Sink.Messages).Commit);
        Assert.Equal(0, a.Transport.Statistics.ProtocolErrors);
    }

    /// <summary>A valid hello from <paramref name="from"/> to node 1, followed by <paramref name="then"/>.</summary>
    private static byte[] Hello(ulong from, byte[] then) =>
        [.. new Handshake(HandshakeKind.Hello, RefusalCode.None, from, 1, 42, Cluster, "").Encode(), .. then];
}
