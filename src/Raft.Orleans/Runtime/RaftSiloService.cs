using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Routing;
using Raft.Actors.Runtime;
using Raft.Actors.Services;
using Raft.Actors.StateMachines;
using Raft.Orleans.Membership;
using Raft.Orleans.Storage;

namespace Raft.Orleans.Runtime;

/// <summary>
/// One per silo: owns the silo's <see cref="RaftHost"/> and with it this silo's replicas (of every
/// group in manual mode; of the groups placed here in automatic mode, where it also runs the
/// <see cref="MembershipCoordinator"/>). The host starts when the silo becomes active and is disposed when the silo stops (or,
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
    private readonly SiloDirectory _directory;
    private readonly RaftSiloServiceClient _client;
    private readonly IClusterMembershipService _membership;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private RaftHost? _host;
    private MembershipCoordinator? _coordinator;

    /// <summary>Created by Orleans for each silo.</summary>
    public RaftSiloService(
        GrainId id,
        Silo silo,
        ILoggerFactory loggerFactory,
        RaftSilo raftSilo,
        IOptions<RaftOptions> options,
        GrainServiceTransport transport,
        SiloDirectory directory,
        RaftSiloServiceClient client,
        IClusterMembershipService membership)
        : base(id, silo, loggerFactory)
    {
        _silo = raftSilo;
        _options = options.Value;
        _transport = transport;
        _directory = directory;
        _client = client;
        _membership = membership;
        _loggers = loggerFactory;
        _logger = loggerFactory.CreateLogger<RaftSiloService>();
    }

    private string FoundedMarker => Path.Combine(GroupStores.SiloDirectory(_options, _silo.SiloName), "founded");

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
                GroupStores.HostOptions(_options, _silo.SiloName, _silo.NodeId),
                _transport,
                logger: _loggers.CreateLogger<RaftHost>());
            try
            {
                foreach (var group in GroupsToStart())
                {
                    await StartReplicaAsync(host, group);
                }

                if (_silo.Mode == RaftMembershipMode.Automatic)
                {
                    // From now on this silo never founds a group again: a replica it drops (its
                    // removal committed) must not come back as a founder with an empty log.
                    Directory.CreateDirectory(Path.GetDirectoryName(FoundedMarker)!);
                    await File.WriteAllTextAsync(FoundedMarker, $"{_silo.NodeId}\n");
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
            if (_silo.Mode == RaftMembershipMode.Automatic)
            {
                _coordinator = new MembershipCoordinator(_silo, _options, _directory, _client, _membership, TimeProvider.System, _loggers.CreateLogger<MembershipCoordinator>());
                _coordinator.Start();
            }
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

    /// <inheritdoc />
    public async Task Join(ulong group)
    {
        if (_silo.Mode != RaftMembershipMode.Automatic || !_silo.Groups.Contains(group))
        {
            throw new InvalidOperationException($"Silo {_silo.SiloName} joins groups only in automatic membership mode, and only groups of the configuration (not {group}).");
        }

        await _lifecycle.WaitAsync();
        try
        {
            var host = _host ?? throw new InvalidOperationException($"Silo {_silo.SiloName} is not running its replicas.");
            if (host.GetReplica(group) is null)
            {
                await StartReplicaAsync(host, group);
                LogJoining(_silo.SiloName, group);
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <inheritdoc />
    public async Task Leave(ulong group)
    {
        await _lifecycle.WaitAsync();
        try
        {
            if (_host is { } host && host.GetReplica(group) is not null)
            {
                await host.RemoveGroupAsync(group);
                await GroupStores.DeleteAsync(host, _options, _silo.SiloName, group, _logger);
                LogLeft(_silo.SiloName, group);
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// Manual mode: every group on a configured member. Automatic mode: every group this silo
    /// has a replica of on disk, and on its very first start the groups it founds.
    /// </summary>
    private IEnumerable<ulong> GroupsToStart()
    {
        if (_silo.Mode == RaftMembershipMode.Manual)
        {
            return _silo.IsMember ? _silo.Groups : [];
        }

        var founded = File.Exists(FoundedMarker);
        return _silo.Groups.Where(g =>
            GroupStores.HasReplica(_options, _silo.SiloName, g) ||
            (!founded && _silo.FoundingConfiguration(g).Contains(_silo.NodeId)));
    }

    /// <summary>
    /// Starts this silo's replica of <paramref name="group"/>: a founder with the founding voters
    /// (always passed, since a log without a configuration entry relies on them), any other node
    /// with no configuration, waiting for the leader to add it.
    /// </summary>
    private async Task StartReplicaAsync(RaftHost host, ulong group)
    {
        var founding = _silo.FoundingConfiguration(group);
        var snapshots = GroupStores.OpenSnapshots(_options, _silo.SiloName, group);
        var options = new RaftReplicaOptions
        {
            Node = new RaftNodeOptions
            {
                Id = _silo.NodeId,
                Group = group,
                InitialConfiguration = founding.Contains(_silo.NodeId) ? founding : new ConfState(),
                ElectionTicks = _options.ElectionTicks,
            },
            TickInterval = _options.TickInterval,
            ProposalTimeout = _options.ProposalTimeout,
            SnapshotStore = snapshots,
            SnapshotEveryEntries = _options.SnapshotEveryEntries,
        };
        IRaftStateMachine stateMachine = group == RaftOptions.ServicesGroupId ? new ServiceStateMachine() : new GrainStateMachine();
        await host.AddGroupAsync(options, stateMachine);
    }

    private async Task StopHostAsync()
    {
        if (Interlocked.Exchange(ref _coordinator, null) is { } coordinator)
        {
            await coordinator.DisposeAsync();
        }

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

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {Silo} started a replica of group {Group}, waiting to be added to it")]
    private partial void LogJoining(string silo, ulong group);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {Silo} was removed from group {Group}: stopped its replica and deleted its data")]
    private partial void LogLeft(string silo, ulong group);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a malformed frame of {Bytes} bytes of replica messages")]
    private partial void LogBadFrame(int bytes, Exception exception);
}
