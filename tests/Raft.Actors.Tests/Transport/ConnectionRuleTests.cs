using System.Buffers;
using System.Net.Sockets;
using Raft.Actors.Transport.Tcp;
using Xunit;
using static Raft.Actors.Tests.Transport.TcpTestKit;

namespace Raft.Actors.Tests.Transport;

public sealed class ConnectionRuleTests
{
    [Theory]
    // self, peer, candidate dialed by, current dialed by, same incarnation → candidate kept
    [InlineData(1UL, 2UL, 1UL, 2UL, true, true)]   // lower id's dial beats the higher id's
    [InlineData(1UL, 2UL, 2UL, 1UL, true, false)]
    [InlineData(2UL, 1UL, 1UL, 2UL, true, true)]   // the same verdict on the other side
    [InlineData(2UL, 1UL, 2UL, 1UL, true, false)]
    [InlineData(1UL, 2UL, 2UL, 2UL, true, true)]   // same dialer: the newer one (it gave the old one up)
    [InlineData(1UL, 2UL, 1UL, 1UL, true, true)]
    [InlineData(1UL, 2UL, 2UL, 1UL, false, true)]  // a restarted peer: the old connection is dead
    public void Both_nodes_of_a_pair_keep_the_same_connection(ulong self, ulong peer, ulong candidateDialer, ulong currentDialer, bool sameIncarnation, bool keepsCandidate)
    {
        var current = (currentDialer, 100UL);
        var candidate = (candidateDialer, sameIncarnation ? 100UL : 101UL);

        Assert.Equal(keepsCandidate, ConnectionRule.Prefers(self, peer, candidate, current));
    }

    [Fact]
    public async Task An_acceptor_refuses_a_second_connection_that_loses_to_the_one_it_holds()
    {
        var nodes = await StartNodesAsync(1, 2);
        await using var a = nodes[0];
        await using var b = nodes[1];
        a.Transport.Send([Heartbeat(1, 2, 7, 1)]);
        await b.Sink.WaitForCountAsync(1);
        var kept = a.Transport.ConnectionTo(2);

        // Node 2, same process, dials node 1 while they share a connection node 1 dialed.
        var (raw, answer) = await DialAsNodeAsync(a, from: 2, incarnation: b.Transport.Incarnation);
        using var _ = raw;

        Assert.Equal(HandshakeKind.Refuse, answer.Kind);
        Assert.Equal(RefusalCode.Duplicate, answer.Code);
        Assert.Same(kept, a.Transport.ConnectionTo(2));
        Assert.Equal(0, a.Transport.Statistics.ConnectionsRefused);
    }

    [Fact]
    public async Task An_acceptor_replaces_its_connection_with_one_from_a_restarted_peer()
    {
        var nodes = await StartNodesAsync(1, 2);
        await using var a = nodes[0];
        await using var b = nodes[1];
        a.Transport.Send([Heartbeat(1, 2, 7, 1)]);
        await b.Sink.WaitForCountAsync(1);
        var old = a.Transport.ConnectionTo(2)!;

        var (raw, answer) = await DialAsNodeAsync(a, from: 2, incarnation: b.Transport.Incarnation + 1);
        using var _ = raw;

        Assert.Equal(HandshakeKind.Accept, answer.Kind);
        await EventuallyAsync(() => old.IsClosed, () => $"the old connection closed: {old}");
        var now = a.Transport.ConnectionTo(2);
        Assert.NotNull(now);
        Assert.NotSame(old, now);
    }

    [Fact]
    public async Task An_acceptor_with_a_higher_id_gives_up_its_own_dial_for_the_lower_ids()
    {
        var nodes = await StartNodesAsync(1, 2);
        await using var a = nodes[0];
        await using var b = nodes[1];
        b.Transport.Send([Heartbeat(2, 1, 7, 1)]);
        await a.Sink.WaitForCountAsync(1);
        var own = b.Transport.ConnectionTo(1)!;
        Assert.True(own.Dialed);

        var (raw, answer) = await DialAsNodeAsync(b, from: 1, incarnation: a.Transport.Incarnation);
        using var _ = raw;

        Assert.Equal(HandshakeKind.Accept, answer.Kind);
        await EventuallyAsync(() => own.IsClosed, () => $"node 2's own connection closed: {own}");
        var now = b.Transport.ConnectionTo(1);
        Assert.NotNull(now);
        Assert.False(now.Dialed);
    }

    [Fact]
    public void Backoff_doubles_from_the_minimum_to_the_maximum_with_half_of_each_step_random()
    {
        var jitter = 1.0;
        var backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(1000), () => jitter);

        Assert.Equal(100, backoff.NextDelay().TotalMilliseconds);
        Assert.Equal(200, backoff.NextDelay().TotalMilliseconds);
        Assert.Equal(400, backoff.NextDelay().TotalMilliseconds);
        Assert.Equal(800, backoff.NextDelay().TotalMilliseconds);
        Assert.Equal(1000, backoff.NextDelay().TotalMilliseconds);
        jitter = 0;
        Assert.Equal(500, backoff.NextDelay().TotalMilliseconds);

        backoff.Reset();
        Assert.Equal(50, backoff.NextDelay().TotalMilliseconds);
    }

    /// <summary>Dials <paramref name="node"/> from a raw socket, left open, with a hello from <paramref name="from"/>, and returns its answer.</summary>
    private static async Task<(Socket Raw, Handshake Answer)> DialAsNodeAsync(TestNode node, ulong from, ulong incarnation)
    {
        var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await raw.ConnectAsync(node.EndPoint);
        await raw.SendAsync(new Handshake(HandshakeKind.Hello, RefusalCode.None, from, node.Transport.NodeId, incarnation, Cluster, "").Encode());
        using var timeout = new CancellationTokenSource(Patience);
        var received = new List<byte>();
        var buffer = new byte[1024];
        while (true)
        {
            var read = await raw.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            Assert.NotEqual(0, read);
            received.AddRange(buffer.AsSpan(0, read));
            var sequence = new ReadOnlySequence<byte>([.. received]);
            if (Handshake.TryParse(ref sequence, out var answer))
            {
                return (raw, answer!);
            }
        }
    }
}
