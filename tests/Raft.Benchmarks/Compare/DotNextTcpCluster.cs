using System.Net;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace Raft.Benchmarks.Compare;

/// <summary>
/// DotNext.Net.Cluster 6.12: three <see cref="RaftCluster"/> nodes over its TCP transport on
/// loopback, each with a persistent <see cref="WriteAheadLog"/> (default options) in its own
/// directory and a no-op state machine. Membership is static: every node starts knowing all three
/// end points.
/// </summary>
internal sealed class DotNextTcpCluster : IComparedCluster
{
    private readonly RaftCluster[] _nodes;
    private readonly WriteAheadLog[] _logs;
    private RaftCluster? _leader;

    private DotNextTcpCluster(RaftCluster[] nodes, WriteAheadLog[] logs)
    {
        _nodes = nodes;
        _logs = logs;
    }

    public string Name => "dotnext";

    /// <summary>The WAL options the cluster runs with, for the output.</summary>
    public static string WalDefaults
    {
        get
        {
            var options = new WriteAheadLog.Options { Location = "unused" };
            return $"WriteAheadLog defaults: MemoryManagement={options.MemoryManagement}, NoBuffering={options.NoBuffering}, ChunkSize={options.ChunkSize}, HashAlgorithm={options.HashAlgorithm} (FlushOnCommit and FlushInterval are obsolete in 6.12: 'always true' / 'checkpoint on every commit')";
        }
    }

    public static async Task<DotNextTcpCluster> StartAsync(string directory, CancellationToken cancellationToken)
    {
        var endPoints = FreePorts.Take(3);
        var nodes = new RaftCluster[endPoints.Length];
        var logs = new WriteAheadLog[endPoints.Length];
        for (var i = 0; i < endPoints.Length; i++)
        {
            var configuration = new RaftCluster.TcpConfiguration(endPoints[i]) { ColdStart = false, ConfigurationStorage = null };
            var members = ((InMemoryClusterConfigurationStorage<EndPoint>)configuration.ConfigurationStorage!).CreateInitialConfigurationBuilder();
            foreach (var endPoint in endPoints)
            {
                members.Add(endPoint);
            }

            members.Build();
            logs[i] = new WriteAheadLog(new WriteAheadLog.Options { Location = Path.Combine(directory, $"node{i + 1}") }, IStateMachine.CreateNoOp());
            await logs[i].InitializeAsync(cancellationToken);
            nodes[i] = new RaftCluster(configuration) { AuditTrail = logs[i] };
        }

        var cluster = new DotNextTcpCluster(nodes, logs);
        foreach (var node in nodes)
        {
            await node.StartAsync(cancellationToken);
        }

        return cluster;
    }

    public async Task WaitForLeaderAsync(CancellationToken cancellationToken)
    {
        while ((_leader = FindLeader()) is null)
        {
            await Task.Delay(10, cancellationToken);
        }
    }

    public ReadOnlyMemory<byte> MakeCommand(int writer, int bytes)
    {
        var command = new byte[bytes];
        command.AsSpan().Fill((byte)('a' + (writer % 26)));
        return command;
    }

    public async Task<bool> ProposeAsync(ReadOnlyMemory<byte> command, CancellationToken cancellationToken)
    {
        var leader = _leader ?? (_leader = FindLeader());
        if (leader is null)
        {
            return false;
        }

        try
        {
            // Completes when the entry is committed by a majority; throws when this node is no longer the leader.
            await leader.ReplicateAsync(command, context: null, cancellationToken);
            return true;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            _leader = null;
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        foreach (var node in _nodes)
        {
            try
            {
                await node.StopAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
            }

            await node.DisposeAsync();
        }

        foreach (var log in _logs)
        {
            await log.DisposeAsync();
        }
    }

    private RaftCluster? FindLeader()
    {
        foreach (var node in _nodes)
        {
            if (node.Leader is { IsRemote: false })
            {
                return node;
            }
        }

        return null;
    }
}
