using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Configuration;

namespace Raft.Akka.Tests;

/// <summary>
/// Actor systems on 127.0.0.1 (Akka.Remote), each a Raft node with its data under one temporary
/// directory; a node can be terminated and started again at the same address with the same disk.
/// </summary>
public sealed class AkkaRaftCluster : IAsyncDisposable
{
    private readonly ActorSystem?[] _systems;
    private readonly int[] _ports;

    public AkkaRaftCluster(int nodes = 3, int groups = 2, string extraHocon = "", string clusterId = "test")
    {
        _systems = new ActorSystem?[nodes];
        _ports = [.. Enumerable.Range(0, nodes).Select(_ => FreePort())];
        Groups = groups;
        ClusterId = clusterId;
        ExtraHocon = extraHocon;
        DataDirectory = Path.Combine(Path.GetTempPath(), "raft-akka-tests", Guid.NewGuid().ToString("N"));
    }

    public string SystemName { get; } = "raft-test";

    /// <summary>Appended to every node's configuration (wins over the defaults here).</summary>
    public string ExtraHocon { get; set; }

    public string DataDirectory { get; }

    public int Groups { get; }

    public string ClusterId { get; }

    public int Count => _systems.Length;

    public ActorSystem this[int index] => _systems[index] ?? throw new InvalidOperationException($"Node {index + 1} is not running.");

    public RaftExtension Raft(int index) => RaftExtension.Get(this[index]);

    public string AddressOf(int index) => $"akka.tcp://{SystemName}@127.0.0.1:{_ports[index]}";

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public string MembersHocon() =>
        string.Join("\n", Enumerable.Range(0, Count).Select(i => $"\"{i + 1}\" = \"{AddressOf(i)}\""));

    /// <summary>The configuration of node <paramref name="index"/> (node id index + 1).</summary>
    public Config ConfigOf(int index, string? overrides = null) =>
        NodeConfig(_ports[index], (ulong)index + 1, overrides);

    public Config NodeConfig(int port, ulong nodeId, string? overrides = null, string? members = null, string? clusterId = null) =>
        ConfigurationFactory.ParseString(overrides ?? "").WithFallback(ConfigurationFactory.ParseString($$"""
            akka {
              loglevel = WARNING
              stdout-loglevel = WARNING
              actor.provider = remote
              remote.dot-netty.tcp { hostname = 127.0.0.1, port = {{port}} }
              remote.retry-gate-closed-for = 200ms
              coordinated-shutdown.run-by-clr-shutdown-hook = off
              raft {
                cluster-id = "{{clusterId ?? ClusterId}}"
                node-id = {{nodeId}}
                data-directory = "{{DataDirectory}}"
                groups = {{Groups}}
                tick-interval = 20ms
                election-ticks = 10
                request-timeout = 20s
                attempt-timeout = 2s
                proposal-timeout = 2s
                log-segment-size = 65536
                members { {{members ?? MembersHocon()}} }
              }
            }
            {{ExtraHocon}}
            """));

    public async Task StartAsync()
    {
        for (var i = 0; i < Count; i++)
        {
            await StartAsync(i);
        }
    }

    public async Task StartAsync(int index)
    {
        var system = ActorSystem.Create(SystemName, ConfigOf(index));
        _systems[index] = system;
        await RaftExtension.Get(system).Started.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async Task StopAsync(int index)
    {
        if (_systems[index] is { } system)
        {
            _systems[index] = null;
            await system.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < Count; i++)
        {
            await StopAsync(i);
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
