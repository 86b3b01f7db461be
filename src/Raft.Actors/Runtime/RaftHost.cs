using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.StateMachines;
using Raft.Actors.Storage;

namespace Raft.Actors.Runtime;

/// <summary>
/// One per process (silo, actor system): hosts this node's replicas of many groups. One timer
/// ticks every awake group; a group whose leader has nothing to do goes quiet and costs
/// nothing until something arrives; one heartbeat per node pair stands for every group the
/// two share, so a node's failure wakes only the groups it led. Messages of all groups leave
/// through one outbox, so the transport sends one frame per destination per pass.
/// </summary>
/// <remarks>Thread-safe. Inbound messages of every group are handed to <see cref="Deliver"/>.</remarks>
public sealed partial class RaftHost : IRaftMessageSink, IAsyncDisposable
{
    private readonly RaftHostOptions _options;
    private readonly IRaftTransport _transport;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<ulong, RaftReplica> _groups = new();
    private readonly ConcurrentDictionary<ulong, RaftReplica> _awake = new();
    private readonly Outbox _outbox;
    private readonly Workers _workers;
    private readonly Liveness _liveness;
    private readonly ITimer _ticker;
    private readonly ITimer _livenessTimer;
    private readonly Lock _sharedLogGate = new();
    private Task<SharedLog>? _sharedLog;
    private long _undeliverable;
    private ulong[]? _peers;
    private long _membershipVersion;

    /// <summary>Creates a host that sends through <paramref name="transport"/>; wire the transport's inbound side to <see cref="Deliver"/>.</summary>
    public RaftHost(RaftHostOptions options, IRaftTransport transport, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(transport);
        options.Validate();
        _options = options;
        _transport = transport;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _outbox = new Outbox(transport);
        _workers = new Workers(_outbox, options.Workers);
        _liveness = new Liveness(options, _time);
        _ticker = _time.CreateTimer(_ => Tick(), null, options.TickInterval, options.TickInterval);
        _livenessTimer = _time.CreateTimer(_ => CheckLiveness(), null, options.LivenessInterval, options.LivenessInterval);
    }

    /// <summary>This node's id.</summary>
    public ulong NodeId => _options.NodeId;

    /// <summary>Number of hosted groups.</summary>
    public int GroupCount => _groups.Count;

    /// <summary>Number of groups being ticked (not quiescent).</summary>
    public int AwakeCount => _awake.Count;

    /// <summary>Messages dropped because they named a group not hosted here.</summary>
    public long Undeliverable => Interlocked.Read(ref _undeliverable);

    /// <summary>
    /// The log the groups added without a store share (see <see cref="RaftHostOptions.DataDirectory"/>),
    /// or null until the first such group was added.
    /// </summary>
    public SharedLog? SharedLog
    {
        get
        {
            lock (_sharedLogGate)
            {
                return _sharedLog is { IsCompletedSuccessfully: true } opened ? opened.Result : null;
            }
        }
    }

    /// <summary>This node's replica of <paramref name="group"/>, or null.</summary>
    public RaftReplica? GetReplica(ulong group) => _groups.GetValueOrDefault(group);

    /// <summary>
    /// Starts this node's replica of a group. <paramref name="options"/>.Node.Id must be this
    /// node's id; the host owns the replica from now on and stops it on <see cref="RemoveGroupAsync"/>
    /// or disposal.
    /// </summary>
    /// <exception cref="ArgumentException">Another node id, or the group is already hosted.</exception>
    public async Task<RaftReplica> AddGroupAsync(RaftReplicaOptions options, ILogStore store, IRaftStateMachine stateMachine, IRandomSource? random = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Node.Id != NodeId)
        {
            throw new ArgumentException($"Replica options name node {options.Node.Id}, but this host is node {NodeId}.", nameof(options));
        }

        var hosting = new RaftReplica.ReplicaHosting(_options.QuiesceAfterTicks, OnSleepChanged, InvalidatePeers, _workers.Schedule, _workers.Resume);
        var replica = new RaftReplica(options, store, stateMachine, _outbox, _time, random, _logger, hosting);
        if (!_groups.TryAdd(options.Node.Group, replica))
        {
            throw new ArgumentException($"Group {options.Node.Group} is already hosted on node {NodeId}.", nameof(options));
        }

        _awake[options.Node.Group] = replica;
        try
        {
            await replica.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _groups.TryRemove(options.Node.Group, out _);
            _awake.TryRemove(options.Node.Group, out _);
            throw;
        }

        return replica;
    }

    /// <summary>
    /// Starts this node's replica of a group whose log lives in the node's shared log (opened
    /// in <see cref="RaftHostOptions.DataDirectory"/> on first use, closed with the host): every
    /// group added this way shares one write-ahead log, so one fdatasync makes the writes of
    /// all of them durable. The snapshot store is still the one in <paramref name="options"/>.
    /// Otherwise as <see cref="AddGroupAsync(RaftReplicaOptions, ILogStore, IRaftStateMachine, IRandomSource?, CancellationToken)"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The host has no <see cref="RaftHostOptions.DataDirectory"/>.</exception>
    /// <exception cref="LogCorruptedException">The shared log is damaged.</exception>
    public async Task<RaftReplica> AddGroupAsync(RaftReplicaOptions options, IRaftStateMachine stateMachine, IRandomSource? random = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var log = await OpenSharedLogAsync(cancellationToken).ConfigureAwait(false);
        var store = log.OpenGroup(options.Node.Group);
        try
        {
            return await AddGroupAsync(options, store, stateMachine, random, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops and forgets this node's replica of <paramref name="group"/> (its store keeps what it persisted).</summary>
    public async Task RemoveGroupAsync(ulong group)
    {
        if (_groups.TryRemove(group, out var replica))
        {
            _awake.TryRemove(group, out _);
            await replica.StopAsync().ConfigureAwait(false);
            InvalidatePeers();
        }
    }

    /// <inheritdoc />
    public void Deliver(RaftMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        _liveness.Heard(message.From);
        if (message.Type == MessageType.NodeHeartbeat)
        {
            return;
        }

        if (_groups.TryGetValue(message.Group, out var replica))
        {
            replica.Deliver(message);
        }
        else
        {
            Interlocked.Increment(ref _undeliverable);
        }
    }

    /// <summary>Stops the timers and every hosted replica, then closes the shared log.</summary>
    public async ValueTask DisposeAsync()
    {
        await _ticker.DisposeAsync().ConfigureAwait(false);
        await _livenessTimer.DisposeAsync().ConfigureAwait(false);
        foreach (var group in _groups.Keys.ToArray())
        {
            await RemoveGroupAsync(group).ConfigureAwait(false);
        }

        await _workers.CompleteAsync().ConfigureAwait(false);
        Task<SharedLog>? sharedLog;
        lock (_sharedLogGate)
        {
            sharedLog = _sharedLog;
        }

        if (sharedLog is not null)
        {
            SharedLog log;
            try
            {
                log = await sharedLog.ConfigureAwait(false);
            }
            catch (Exception)
            {
                return; // it never opened; the group that asked for it saw why
            }

            await log.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The node's shared log, opened once; an open that failed is tried again by the next caller.</summary>
    private Task<SharedLog> OpenSharedLogAsync(CancellationToken cancellationToken)
    {
        if (_options.DataDirectory is not { } directory)
        {
            throw new InvalidOperationException($"Node {NodeId}: a group added without a log store keeps its log in the node's shared log, but RaftHostOptions.DataDirectory is not set.");
        }

        lock (_sharedLogGate)
        {
            if (_sharedLog is null || _sharedLog.IsFaulted || _sharedLog.IsCanceled)
            {
                var options = new FileLogStoreOptions { SegmentSize = _options.LogSegmentSize, Logger = _logger };
                _sharedLog = Storage.SharedLog.OpenAsync(Path.Combine(directory, "log"), options, cancellationToken).AsTask();
            }

            return _sharedLog;
        }
    }

    private void OnSleepChanged(RaftReplica replica, bool asleep)
    {
        if (asleep)
        {
            _awake.TryRemove(replica.Group, out _);
        }
        else if (_groups.ContainsKey(replica.Group))
        {
            _awake[replica.Group] = replica;
        }
    }

    private void Tick()
    {
        foreach (var replica in _awake.Values)
        {
            replica.EnqueueTick();
        }
    }

    /// <summary>Tells every peer we are alive, and wakes the quiescent groups led by a peer that went silent.</summary>
    private void CheckLiveness()
    {
        var peers = Volatile.Read(ref _peers) ?? CollectPeers();
        _transport.Send([.. peers.Select(p => new RaftMessage { Type = MessageType.NodeHeartbeat, From = NodeId, To = p })]);
        var down = _liveness.NewlyDown(peers);
        if (down.Count == 0)
        {
            return;
        }

        LogPeersDown(NodeId, string.Join(", ", down));
        foreach (var replica in _groups.Values)
        {
            if (replica.IsAsleep && down.Contains(replica.Leader))
            {
                replica.Wake();
            }
        }
    }

    /// <summary>Every other node that shares a group with this one; cached until a group's members change.</summary>
    private ulong[] CollectPeers()
    {
        var version = Interlocked.Read(ref _membershipVersion);
        var peers = new HashSet<ulong>();
        foreach (var replica in _groups.Values)
        {
            peers.UnionWith(replica.Members);
        }

        peers.Remove(NodeId);
        var collected = peers.Order().ToArray();
        if (Interlocked.Read(ref _membershipVersion) == version)
        {
            // A change while collecting leaves the cache empty, so the next check collects again.
            Volatile.Write(ref _peers, collected);
        }

        return collected;
    }

    private void InvalidatePeers()
    {
        Interlocked.Increment(ref _membershipVersion);
        Volatile.Write(ref _peers, null);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {NodeId}: peer node(s) {Peers} stopped answering; waking the quiescent groups they led")]
    private partial void LogPeersDown(ulong nodeId, string peers);
}
