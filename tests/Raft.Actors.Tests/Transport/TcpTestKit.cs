using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Raft.Actors.Protocol;
using Raft.Actors.Runtime;
using Raft.Actors.Transport.Tcp;

namespace Raft.Actors.Tests.Transport;

/// <summary>Options, messages, sinks, loggers and waits shared by the TCP transport tests.</summary>
internal static class TcpTestKit
{
    public const string Cluster = "test-cluster";

    /// <summary>How long any condition may take to come true before a test fails.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    public static IPEndPoint AnyLoopbackPort => new(IPAddress.Loopback, 0);

    public static TcpTransportOptions Options(ulong nodeId, string cluster = Cluster, TcpTlsOptions? tls = null, IPEndPoint? listen = null, int sendQueueCapacity = TcpTransportOptions.DefaultSendQueueCapacity) => new()
    {
        ClusterId = cluster,
        NodeId = nodeId,
        ListenEndPoint = listen ?? AnyLoopbackPort,
        Tls = tls,
        SendQueueCapacity = sendQueueCapacity,
        ReconnectMinDelay = TimeSpan.FromMilliseconds(20),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
        HandshakeTimeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>A valid message; <paramref name="sequence"/> travels in Commit so that order and content can be checked.</summary>
    public static RaftMessage Heartbeat(ulong from, ulong to, ulong group, ulong sequence) => new()
    {
        Type = MessageType.Heartbeat,
        Group = group,
        From = from,
        To = to,
        Term = 1,
        Commit = sequence,
    };

    /// <summary>An end point where nothing listens: connecting to it is refused at once.</summary>
    public static IPEndPoint DeadEndPoint()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(AnyLoopbackPort);
        return (IPEndPoint)socket.LocalEndPoint!;
    }

    /// <summary>Starts transports for the given node ids, each knowing all the others.</summary>
    public static async Task<TestNode[]> StartNodesAsync(params ulong[] ids)
    {
        var nodes = new TestNode[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            nodes[i] = await TestNode.StartAsync(Options(ids[i]));
        }

        Connect(nodes);
        return nodes;
    }

    /// <summary>Makes every node a peer of every other.</summary>
    public static void Connect(params TestNode[] nodes)
    {
        foreach (var node in nodes)
        {
            foreach (var other in nodes)
            {
                if (other != node)
                {
                    node.Transport.SetPeer(other.Transport.NodeId, other.EndPoint);
                }
            }
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds; fails with <paramref name="what"/> after <see cref="Patience"/>.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, Func<string> what, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > (timeout ?? Patience))
            {
                throw new TimeoutException($"Not within {timeout ?? Patience}: {what()}");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>Reads from a raw socket until the other side closes it; fails if it stays open past <see cref="Patience"/>.</summary>
    public static async Task<byte[]> ReadUntilClosedAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                if (read == 0)
                {
                    return received.ToArray();
                }

                received.Write(buffer, 0, read);
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            return received.ToArray();
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The transport did not close the connection within {Patience}.");
        }
    }
}

/// <summary>A started transport with a recording sink and a capturing logger.</summary>
internal sealed class TestNode : IAsyncDisposable
{
    private TestNode(TcpTransport transport, RecordingSink sink, CapturingLogger logger)
    {
        Transport = transport;
        Sink = sink;
        Logger = logger;
    }

    public TcpTransport Transport { get; }

    public RecordingSink Sink { get; }

    public CapturingLogger Logger { get; }

    public IPEndPoint EndPoint => Transport.LocalEndPoint!;

    public static async Task<TestNode> StartAsync(TcpTransportOptions options)
    {
        var sink = new RecordingSink();
        var logger = new CapturingLogger();
        var transport = new TcpTransport(options, sink, logger);
        await transport.StartAsync();
        return new TestNode(transport, sink, logger);
    }

    public ValueTask DisposeAsync() => Transport.DisposeAsync();

    public override string ToString() => $"node {Transport.NodeId}: {Transport.Statistics}";
}

/// <summary>Keeps every delivered message.</summary>
internal sealed class RecordingSink : IRaftMessageSink
{
    private readonly ConcurrentQueue<RaftMessage> _messages = new();

    public int Count => _messages.Count;

    public IReadOnlyList<RaftMessage> Messages => [.. _messages];

    public void Deliver(RaftMessage message) => _messages.Enqueue(message);

    public Task WaitForCountAsync(int count) =>
        TcpTestKit.EventuallyAsync(() => _messages.Count >= count, () => $"{count} messages delivered, got {_messages.Count}");
}

/// <summary>Keeps every log line, for tests to look for reasons in.</summary>
internal sealed class CapturingLogger : ILogger
{
    private readonly ConcurrentQueue<(LogLevel Level, string Text)> _entries = new();

    public IReadOnlyList<(LogLevel Level, string Text)> Entries => [.. _entries];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _entries.Enqueue((logLevel, formatter(state, exception)));

    public bool Has(LogLevel level, string text) => Entries.Any(e => e.Level == level && e.Text.Contains(text, StringComparison.Ordinal));

    public Task WaitForAsync(LogLevel level, string text) =>
        TcpTestKit.EventuallyAsync(() => Has(level, text), () => $"a {level} log line containing \"{text}\"; the log has:{Environment.NewLine}{Dump()}");

    public string Dump() => string.Join(Environment.NewLine, Entries.Select(e => $"  {e.Level}: {e.Text}"));
}
