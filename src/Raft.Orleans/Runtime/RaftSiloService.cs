using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Routing;
using Raft.Actors.Runtime;
using Raft.Orleans.Storage;

namespace Raft.Orleans.Runtime;

/// <summary>
/// One per silo: owns the silo's <see cref="RaftHost"/> and with it this silo's replica of every
/// group. The host starts when the silo becomes active and is disposed when the silo stops (or,
/// when the silo is killed without stopping, when its service container is disposed). Replicas
/// live here and never in grains: a grain may be activated twice during membership changes, a
/// grain service never is.
/// </summary>
/// <remarks>
/// Orleans runs the calls of a grain service one at a time but lets them interleave at
/// <c>await</c>; the replicas are thread-safe and nothing here holds state across an await.
/// </remarks>
internal sealed partial class RaftSiloService : GrainService, IRaftSiloService, IAsyncDisposable
{
    private readonly RaftSilo _silo;
    private readonly RaftOptions _options;
    private readonly GrainServiceTransport _transport;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private RaftHost? _host;

    /// <summary>Created by Orleans for each silo.</summary>
    public RaftSiloService(GrainId id, Silo silo, ILoggerFactory loggerFactory, RaftSilo raftSilo, IOptions<RaftOptions> options, GrainServiceTransport transport)
        : base(id, silo, loggerFactory)
    {
        _silo = raftSilo;
        _options = options.Value;
        _transport = transport;
        _loggers = loggerFactory;
        _logger = loggerFactory.CreateLogger<RaftSiloService>();
    }

    /// <summary>Opens this silo's stores and starts its replicas.</summary>
    public override async Task Start()
    {
        await base.Start();
        await _lifecycle.WaitAsync();
        try
        {
            if (_host is not null)
            {
                return;
            }

            var host = new RaftHost(
                new RaftHostOptions { NodeId = _silo.NodeId, TickInterval = _options.TickInterval },
                _transport,
                logger: _loggers.CreateLogger<RaftHost>());
            try
            {
                if (_silo.IsMember)
                {
                    await AddGroupsAsync(host);
                }
            }
            catch
            {
                await host.DisposeAsync();
                throw;
            }

            _host = host;
            _silo.Attach(host);
            LogStarted(_silo.SiloName, _silo.NodeId, host.GroupCount, GroupStores.SiloDirectory(_options, _silo.SiloName));
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Stops this silo's replicas and closes their stores.</summary>
    public override async Task Stop()
    {
        await StopHostAsync();
        await base.Stop();
    }

    /// <summary>Stops the replicas if <see cref="Stop"/> did not run (a killed silo).</summary>
    public async ValueTask DisposeAsync() => await StopHostAsync();

    /// <inheritdoc />
    public Task Deliver(byte[] frame)
    {
        var host = _silo.Host;
        if (host is null)
        {
            return Task.CompletedTask;
        }

        IReadOnlyList<RaftMessage> messages;
        try
        {
            messages = MessageCodec.Decode(frame);
        }
        catch (ProtocolException ex)
        {
            LogBadFrame(frame.Length, ex);
            return Task.CompletedTask;
        }

        foreach (var message in messages)
        {
            host.Deliver(message);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<byte[]> Invoke(byte[] request)
    {
        var decoded = RoutingCodec.DecodeRequest(request);
        var answer = await ReplicaRequestHandler.HandleAsync(_silo.Host?.GetReplica(decoded.Group), decoded);
        return RoutingCodec.Encode(answer);
    }

    private async Task AddGroupsAsync(RaftHost host)
    {
        var voters = ConfState.OfVoters([.. _silo.Members]);
        foreach (var group in _silo.Groups)
        {
            var stores = await GroupStores.OpenAsync(_options, _silo.SiloName, group, _logger, CancellationToken.None);
            var options = new RaftReplicaOptions
            {
                Node = new RaftNodeOptions { Id = _silo.NodeId, Group = group, InitialConfiguration = voters, ElectionTicks = _options.ElectionTicks },
                TickInterval = _options.TickInterval,
                ProposalTimeout = _options.ProposalTimeout,
                SnapshotStore = stores.Snapshots,
                SnapshotEveryEntries = _options.SnapshotEveryEntries,
            };
            try
            {
                await host.AddGroupAsync(options, stores.Log, new GrainStateMachine());
            }
            catch
            {
                await stores.Log.DisposeAsync();
                throw;
            }
        }
    }

    private async Task StopHostAsync()
    {
        await _lifecycle.WaitAsync();
        try
        {
            if (_host is { } host)
            {
                _silo.Attach(null);
                _host = null;
                await host.DisposeAsync();
                LogStopped(_silo.SiloName, _silo.NodeId);
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {Silo} is Raft node {NodeId}: started {Groups} replicas with data under {Directory}")]
    private partial void LogStarted(string silo, ulong nodeId, int groups, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {Silo} (Raft node {NodeId}) stopped its replicas")]
    private partial void LogStopped(string silo, ulong nodeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a malformed frame of {Bytes} bytes of replica messages")]
    private partial void LogBadFrame(int bytes, Exception exception);
}
