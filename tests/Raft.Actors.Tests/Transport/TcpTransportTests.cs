using System.Net;
using Microsoft.Extensions.Logging;
using Raft.Actors.Protocol;
using Raft.Actors.Transport.Tcp;
using Xunit;
using static Raft.Actors.Tests.Transport.TcpTestKit;

namespace Raft.Actors.Tests.Transport;

public sealed class TcpTransportTests
{
    [Fact]
    public async Task Two_transports_exchange_batches_of_several_groups_both_ways_over_one_connection()
    {
        var nodes = await StartNodesAsync(1, 2);
        await using var a = nodes[0];
        await using var b = nodes[1];
        const int rounds = 5;
        const int perGroup = 10;
        ulong[] groups = [7, 8, 9];

        for (var round = 0; round < rounds; round++)
        {
            // One Send per round and direction, messages of three groups interleaved.
            a.Transport.Send(Batch(from: 1, to: 2, groups, round, perGroup));
            await b.Sink.WaitForCountAsync((round + 1) * groups.Length * perGroup);
            b.Transport.Send(Batch(from: 2, to: 1, groups, round, perGroup));
            await a.Sink.WaitForCountAsync((round + 1) * groups.Length * perGroup);
        }

        AssertInOrderPerGroup(b.Sink.Messages, from: 1, groups, rounds * perGroup);
        AssertInOrderPerGroup(a.Sink.Messages, from: 2, groups, rounds * perGroup);

        // One connection, dialed by a (it had something to send first) and used by b for its answers.
        Assert.Equal(1, a.Transport.Statistics.ConnectionsEstablished);
        Assert.Equal(1, b.Transport.Statistics.ConnectionsEstablished);
        Assert.Equal(1, a.Transport.Statistics.OpenConnections);
        Assert.Equal(1, b.Transport.Statistics.OpenConnections);
        AssertSameConnection(a, b);

        // One frame per Send: the batch of three groups travelled together.
        await EventuallyAsync(() => a.Transport.Statistics.FramesSent == rounds, () => $"a sent {rounds} frames: {a}");
        Assert.Equal(rounds, b.Transport.Statistics.FramesReceived);
        Assert.Equal(rounds, a.Transport.Statistics.FramesReceived);
    }

    [Fact]
    public async Task Nodes_that_dial_each_other_at_once_settle_on_one_connection()
    {
        // Repeated because the interleaving differs from run to run; every one must settle.
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var nodes = await StartNodesAsync(1, 2);
            await using var a = nodes[0];
            await using var b = nodes[1];

            var sendA = Task.Run(() => a.Transport.Send([Heartbeat(1, 2, 7, 1)]));
            var sendB = Task.Run(() => b.Transport.Send([Heartbeat(2, 1, 7, 1)]));
            await Task.WhenAll(sendA, sendB);

            // A message sent on a connection that then lost the tie-break may be lost, as Raft
            // allows; like Raft, keep sending until both sides heard from the other.
            var sequence = 2UL;
            await EventuallyAsync(
                () =>
                {
                    if (a.Sink.Count == 0)
                    {
                        b.Transport.Send([Heartbeat(2, 1, 7, sequence)]);
                    }

                    if (b.Sink.Count == 0)
                    {
                        a.Transport.Send([Heartbeat(1, 2, 7, sequence)]);
                    }

                    sequence++;
                    return a.Sink.Count > 0 && b.Sink.Count > 0;
                },
                () => $"both sides receive: {a} / {b}");

            await EventuallyAsync(
                () => a.Transport.Statistics.OpenConnections == 1 && b.Transport.Statistics.OpenConnections == 1 && SameConnection(a, b),
                () => $"one shared connection: a {a.Transport.ConnectionTo(2)}, b {b.Transport.ConnectionTo(1)}");

            // Both sides use the kept connection from now on.
            var received = b.Sink.Count;
            a.Transport.Send([Heartbeat(1, 2, 7, 1000)]);
            await b.Sink.WaitForCountAsync(received + 1);
            AssertSameConnection(a, b);

            // At most the two dials were put in use on either side, one replacing the other: the
            // loser was not closed on both sides at once (which would have forced a third dial).
            Assert.InRange(a.Transport.Statistics.ConnectionsEstablished, 1, 2);
            Assert.InRange(b.Transport.Statistics.ConnectionsEstablished, 1, 2);
        }
    }

    [Fact]
    public async Task Messages_for_an_unreachable_peer_fill_its_queue_to_capacity_and_the_rest_are_dropped_and_counted()
    {
        const int capacity = 8;
        const int sent = 100;
        var options = Options(1, sendQueueCapacity: capacity);
        await using var a = await TestNode.StartAsync(options);
        a.Transport.SetPeer(2, DeadEndPoint());

        for (ulong i = 0; i < sent; i++)
        {
            a.Transport.Send([Heartbeat(1, 2, 7, i)]);
        }

        // Dial attempts fail and back off; nothing leaves the queue without a connection.
        await EventuallyAsync(() => a.Logger.Has(LogLevel.Information, "cannot connect to node 2"), () => $"a failed dial; log:{Environment.NewLine}{a.Logger.Dump()}");
        var statistics = a.Transport.Statistics;
        Assert.Equal(capacity, statistics.QueuedFrames);
        Assert.Equal(sent - capacity, statistics.MessagesDroppedQueueFull);
        Assert.Single(a.Logger.Entries, e => e.Text.Contains("send queue to node 2 is full", StringComparison.Ordinal));

        // Once the peer is reachable the queue drains: the oldest messages were kept, the newest dropped.
        await using var b = await TestNode.StartAsync(Options(2));
        b.Transport.SetPeer(1, a.EndPoint);
        a.Transport.SetPeer(2, b.EndPoint);
        await b.Sink.WaitForCountAsync(capacity);
        Assert.Equal(Enumerable.Range(0, capacity).Select(i => (ulong)i), b.Sink.Messages.Select(m => m.Commit));
        await EventuallyAsync(() => a.Transport.Statistics.QueuedFrames == 0, () => $"queue drained: {a}");
    }

    [Fact]
    public async Task A_send_queue_is_bounded_in_bytes_as_well_as_in_frames()
    {
        var options = new TcpTransportOptions
        {
            ClusterId = Cluster,
            NodeId = 1,
            ListenEndPoint = AnyLoopbackPort,
            MaxFrameBytes = 1024,
            SendQueueMaxBytes = 1028,
            SendQueueCapacity = 1000,
        };
        await using var a = await TestNode.StartAsync(options);
        a.Transport.SetPeer(2, DeadEndPoint());

        // Each frame is a little over 400 bytes: two fit in 1028 bytes, the third does not.
        for (ulong i = 0; i < 10; i++)
        {
            a.Transport.Send([Heartbeat(1, 2, 7, i) with { Context = new byte[400] }]);
        }

        Assert.Equal(2, a.Transport.Statistics.QueuedFrames);
        Assert.Equal(8, a.Transport.Statistics.MessagesDroppedQueueFull);
    }

    [Fact]
    public async Task A_batch_larger_than_the_frame_limit_is_split_and_a_single_oversized_message_dropped()
    {
        await using var a = await TestNode.StartAsync(new TcpTransportOptions { ClusterId = Cluster, NodeId = 1, ListenEndPoint = AnyLoopbackPort, MaxFrameBytes = 1024 });
        await using var b = await TestNode.StartAsync(new TcpTransportOptions { ClusterId = Cluster, NodeId = 2, ListenEndPoint = AnyLoopbackPort, MaxFrameBytes = 1024 });
        Connect(a, b);

        // Ten messages of ~300 bytes: about 3 KB together, so more than one frame of at most 1 KB.
        var batch = Enumerable.Range(0, 10).Select(i => Heartbeat(1, 2, 7, (ulong)i) with { Context = new byte[300] }).ToArray();
        a.Transport.Send(batch);
        a.Transport.Send([Heartbeat(1, 2, 7, 99) with { Context = new byte[2000] }]);
        await b.Sink.WaitForCountAsync(10);

        Assert.Equal(Enumerable.Range(0, 10).Select(i => (ulong)i), b.Sink.Messages.Select(m => m.Commit));
        Assert.Equal(1, a.Transport.Statistics.MessagesDroppedTooLarge);
        await EventuallyAsync(() => a.Transport.Statistics.FramesSent >= 4, () => $"the batch went as several frames: {a}");
    }

    [Fact]
    public async Task Messages_for_a_node_that_is_not_a_peer_are_dropped_and_counted()
    {
        await using var a = await TestNode.StartAsync(Options(1));

        a.Transport.Send([Heartbeat(1, 5, 7, 1), Heartbeat(1, 5, 8, 1)]);

        Assert.Equal(2, a.Transport.Statistics.MessagesDroppedNoPeer);
        Assert.Equal(0, a.Transport.Statistics.QueuedFrames);
    }

    [Fact]
    public async Task A_removed_peer_may_no_longer_connect_and_its_connection_is_closed()
    {
        var nodes = await StartNodesAsync(1, 2);
        await using var a = nodes[0];
        await using var b = nodes[1];
        a.Transport.Send([Heartbeat(1, 2, 7, 1)]);
        await b.Sink.WaitForCountAsync(1);

        Assert.True(a.Transport.RemovePeer(2));
        await EventuallyAsync(() => b.Transport.Statistics.OpenConnections == 0, () => $"b saw the connection close: {b}");
        b.Transport.Send([Heartbeat(2, 1, 7, 2)]);

        await b.Logger.WaitForAsync(LogLevel.Warning, "node 2 is not a configured peer of node 1");
        Assert.Equal(0, a.Sink.Count);
        Assert.False(a.Transport.RemovePeer(2));
    }

    [Fact]
    public async Task Dispose_closes_connections_and_stops_promptly()
    {
        var nodes = await StartNodesAsync(1, 2);
        await using var b = nodes[1];
        var a = nodes[0];
        a.Transport.Send([Heartbeat(1, 2, 7, 1)]);
        await b.Sink.WaitForCountAsync(1);

        var disposing = a.Transport.DisposeAsync().AsTask();

        Assert.Same(disposing, await Task.WhenAny(disposing, Task.Delay(Patience)));
        await EventuallyAsync(() => b.Transport.Statistics.OpenConnections == 0, () => $"b saw the connection close: {b}");
        a.Transport.Send([Heartbeat(1, 2, 7, 2)]);
        Assert.Equal(0, a.Transport.Statistics.QueuedFrames);
    }

    [Theory]
    [InlineData("ClusterId")]
    [InlineData("NodeId")]
    [InlineData("Peers")]
    [InlineData("MaxFrameBytes")]
    [InlineData("SendQueueCapacity")]
    [InlineData("SendQueueMaxBytes")]
    [InlineData("ReconnectMaxDelay")]
    [InlineData("WriteTimeout")]
    public void Invalid_options_are_refused_with_the_option_named(string option)
    {
        var valid = Options(1);
        var invalid = option switch
        {
            "ClusterId" => Copy(valid, clusterId: ""),
            "NodeId" => Copy(valid, nodeId: 0),
            "Peers" => Copy(valid, peers: new Dictionary<ulong, EndPoint> { [1] = DeadEndPoint() }),
            "MaxFrameBytes" => Copy(valid, maxFrameBytes: 10),
            "SendQueueCapacity" => Copy(valid, sendQueueCapacity: 0),
            "SendQueueMaxBytes" => Copy(valid, sendQueueMaxBytes: 1000),
            "ReconnectMaxDelay" => Copy(valid, reconnectMaxDelay: TimeSpan.FromMilliseconds(1)),
            "WriteTimeout" => Copy(valid, writeTimeout: TimeSpan.Zero),
            _ => throw new ArgumentOutOfRangeException(nameof(option)),
        };

        valid.Validate();
        var error = Assert.Throws<ArgumentException>(invalid.Validate);
        Assert.Equal(option, error.ParamName);
        Assert.Contains($"TcpTransportOptions.{option}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tls_without_a_stated_trust_is_refused()
    {
        using var certificate = TestCertificates.Create("node-1");
        var options = Options(1, tls: new TcpTlsOptions { ServerCertificate = certificate });

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("TrustedRoots", error.Message, StringComparison.Ordinal);
    }

    internal static void AssertSameConnection(TestNode a, TestNode b) =>
        Assert.True(SameConnection(a, b), $"a uses {a.Transport.ConnectionTo(b.Transport.NodeId)}, b uses {b.Transport.ConnectionTo(a.Transport.NodeId)}");

    private static bool SameConnection(TestNode a, TestNode b)
    {
        var fromA = a.Transport.ConnectionTo(b.Transport.NodeId);
        var fromB = b.Transport.ConnectionTo(a.Transport.NodeId);
        return fromA is not null && fromB is not null
            && Equals(fromA.LocalEndPoint, fromB.RemoteEndPoint) && Equals(fromA.RemoteEndPoint, fromB.LocalEndPoint);
    }

    private static RaftMessage[] Batch(ulong from, ulong to, ulong[] groups, int round, int perGroup)
    {
        var batch = new List<RaftMessage>();
        for (var i = 0; i < perGroup; i++)
        {
            foreach (var group in groups)
            {
                batch.Add(Heartbeat(from, to, group, (ulong)(round * perGroup + i)));
            }
        }

        return [.. batch];
    }

    private static void AssertInOrderPerGroup(IReadOnlyList<RaftMessage> messages, ulong from, ulong[] groups, int perGroup)
    {
        foreach (var group in groups)
        {
            var sequences = messages.Where(m => m.Group == group).Select(m => m.Commit).ToArray();
            Assert.Equal(Enumerable.Range(0, perGroup).Select(i => (ulong)i), sequences);
        }

        Assert.All(messages, m => Assert.Equal(from, m.From));
    }

    private static TcpTransportOptions Copy(
        TcpTransportOptions o,
        string? clusterId = null,
        ulong? nodeId = null,
        IReadOnlyDictionary<ulong, EndPoint>? peers = null,
        int? maxFrameBytes = null,
        int? sendQueueCapacity = null,
        long? sendQueueMaxBytes = null,
        TimeSpan? reconnectMaxDelay = null,
        TimeSpan? writeTimeout = null) => new()
        {
            ClusterId = clusterId ?? o.ClusterId,
            NodeId = nodeId ?? o.NodeId,
            ListenEndPoint = o.ListenEndPoint,
            Peers = peers ?? o.Peers,
            MaxFrameBytes = maxFrameBytes ?? o.MaxFrameBytes,
            SendQueueCapacity = sendQueueCapacity ?? o.SendQueueCapacity,
            SendQueueMaxBytes = sendQueueMaxBytes ?? o.SendQueueMaxBytes,
            ReconnectMinDelay = o.ReconnectMinDelay,
            ReconnectMaxDelay = reconnectMaxDelay ?? o.ReconnectMaxDelay,
            WriteTimeout = writeTimeout ?? o.WriteTimeout,
        };
}
