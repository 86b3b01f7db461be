using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.StateMachines;
using Raft.Actors.Storage;

namespace Raft.Actors.Runtime;

/// <summary>
/// The actor around one <see cref="RaftNode"/>: a mailbox and one loop that steps whatever
/// arrived, writes the resulting entries and hard state in one group commit, sends messages,
/// applies committed entries and completes waiting clients. Whatever arrives while a write is
/// in flight goes into the next one, so batching needs no timers.
/// </summary>
/// <remarks>Thread-safe: every public member may be called from any thread.</remarks>
public sealed partial class RaftReplica : IRaftMessageSink, IAsyncDisposable
{
    private readonly RaftReplicaOptions _options;
    private readonly ILogStore _store;
    private readonly IRaftStateMachine _stateMachine;
    private readonly ClientSessions _sessions;
    private readonly IRaftTransport _transport;
    private readonly TimeProvider _time;
    private readonly IRandomSource _random;
    private readonly ILogger _logger;
    private readonly Channel<object> _mailbox = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<ulong, (ulong Term, TaskCompletionSource<ReadOnlyMemory<byte>> Completion)> _proposals = [];
    private readonly Dictionary<ulong, (ReadRequest Request, ulong AskedLeader)> _reads = [];
    private readonly List<(ulong Index, ReadRequest Request)> _readyReads = [];
    private volatile RaftNode? _node;
    private ITimer? _timer;
    private int _tickQueued;
    private long _lastTickAt;
    private ulong _nextReadId;
    private volatile ReplicaView _view = new(RaftRole.Follower, 0, 0, 0, 0, [], 0);
    private ConfState? _publishedConfiguration;
    private volatile Exception? _fault;

    /// <summary>Creates a replica; <see cref="StartAsync"/> loads its log and starts it.</summary>
    /// <param name="options">Node and runtime settings; validated here.</param>
    /// <param name="store">The replica's log; the replica owns it and disposes it when stopped.</param>
    /// <param name="stateMachine">The replicated application.</param>
    /// <param name="transport">How messages reach the other replicas.</param>
    /// <param name="timeProvider">Clock for ticks, timeouts and the snapshot transfer cap (default: system).</param>
    /// <param name="random">Election jitter (default: shared random).</param>
    /// <param name="logger">Diagnostics.</param>
    public RaftReplica(
        RaftReplicaOptions options,
        ILogStore store,
        IRaftStateMachine stateMachine,
        IRaftTransport transport,
        TimeProvider? timeProvider = null,
        IRandomSource? random = null,
        ILogger? logger = null)
        : this(options, store, stateMachine, transport, timeProvider, random, logger, hosting: null)
    {
    }

    /// <summary>A replica driven by a <see cref="RaftHost"/>: ticked by the host, quiescent when idle.</summary>
    internal RaftReplica(
        RaftReplicaOptions options,
        ILogStore store,
        IRaftStateMachine stateMachine,
        IRaftTransport transport,
        TimeProvider? timeProvider,
        IRandomSource? random,
        ILogger? logger,
        ReplicaHosting? hosting)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(stateMachine);
        ArgumentNullException.ThrowIfNull(transport);
        options.Validate();
        _options = options;
        _store = store;
        _stateMachine = stateMachine;
        _sessions = new ClientSessions(stateMachine);
        _transport = transport;
        _time = timeProvider ?? TimeProvider.System;
        _random = random ?? new SystemRandomSource();
        _logger = logger ?? NullLogger.Instance;
        _hosting = hosting;
        _snapshotThrottle = options.SnapshotTransferBytesPerSecond is { } rate ? new SnapshotThrottle(rate, _time) : null;
    }

    /// <summary>This replica's node id.</summary>
    public ulong NodeId => _options.Node.Id;

    /// <summary>The group this replica belongs to.</summary>
    public ulong Group => _options.Node.Group;

    /// <summary>Role as of the last loop pass.</summary>
    public RaftRole Role => _view.Role;

    /// <summary>Term as of the last loop pass.</summary>
    public ulong Term => _view.Term;

    /// <summary>Known leader as of the last loop pass (0 = none).</summary>
    public ulong Leader => _view.Leader;

    /// <summary>Highest applied index as of the last loop pass.</summary>
    public ulong AppliedIndex => _view.Applied;

    /// <summary>The group's members (voters and learners) as of the last loop pass.</summary>
    public IReadOnlyList<ulong> Members => _view.Members;

    /// <summary>The failure that stopped this replica, or null while it is healthy.</summary>
    public Exception? Fault => _fault;

    /// <summary>Role, term, leader, indices and members as one consistent snapshot.</summary>
    internal ReplicaView View => _view;

    /// <summary>
    /// Loads the durable log, restores the state machine from the latest snapshot (when there is
    /// a snapshot store), rebuilds the rest by re-applying committed entries, and starts ticking.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_node is not null)
        {
            throw new InvalidOperationException($"Replica {NodeId} of group {Group} is already started.");
        }

        var state = await _store.LoadAsync(cancellationToken).ConfigureAwait(false);
        var snapshot = await RestoreLatestSnapshotAsync(cancellationToken).ConfigureAwait(false);
        if (snapshot is not null && !(_store.TryGetTerm(snapshot.Index, out var term) && term == snapshot.Term))
        {
            // A snapshot received from the leader is published before the core installs it; a crash
            // in between leaves it ahead of (or off) the log. It covers committed entries only, so
            // finish the install now: the log continues after it, as Ready.Snapshot would have left it.
            await _store.CompactAsync(snapshot.Index, snapshot.Term, cancellationToken).ConfigureAwait(false);
            state = await _store.LoadAsync(cancellationToken).ConfigureAwait(false);
        }

        _node = new RaftNode(_options.Node, _random, state, snapshot);
        _lastTickAt = _time.GetTimestamp();
        ScheduleFirstSnapshot(snapshot);
        Publish();
        RequestPass(); // for whatever arrived before the node existed
        if (_hosting is null)
        {
            _timer = _time.CreateTimer(_ => EnqueueTick(), null, _options.TickInterval, _options.TickInterval);
        }

        LogStarted(NodeId, Group, state.HardState.Term, state.Entries.Count);
    }

    /// <summary>Hands a message from a peer to this replica (called by the transport; never blocks).</summary>
    public void Deliver(RaftMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        Post(message);
    }

    /// <summary>
    /// Proposes a command and returns the state machine's result once it is committed and
    /// applied here. Throws <see cref="NotLeaderException"/> (with a hint) when this replica
    /// does not lead, <see cref="CommandDroppedException"/> when another entry took its place
    /// (it never commits; safe to retry), and <see cref="UnknownOutcomeException"/> on timeout
    /// or cancellation after it was handed over: the command may still commit, so retry with
    /// the same <paramref name="id"/> to apply it at most once.
    /// </summary>
    public async Task<ReadOnlyMemory<byte>> ProposeAsync(ReadOnlyMemory<byte> command, ProposalId? id = null, CancellationToken cancellationToken = default)
    {
        ThrowIfFaulted();
        var request = new ProposeRequest(command, id ?? default, NewCompletion());
        Post(request);
        return await AwaitOutcomeAsync(request.Completion.Task, "proposal", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Answers <paramref name="query"/> from the state machine with linearizable semantics
    /// (ReadIndex, thesis §6.4): the answer reflects every write acknowledged before the call.
    /// Works on followers too (the leader confirms the read index). Throws
    /// <see cref="NotLeaderException"/> when no leader is known.
    /// </summary>
    public async Task<ReadOnlyMemory<byte>> ReadAsync(ReadOnlyMemory<byte> query, CancellationToken cancellationToken = default)
    {
        ThrowIfFaulted();
        var request = new ReadRequest(query, NewCompletion());
        Post(request);
        return await AwaitOutcomeAsync(request.Completion.Task, "read", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A consistent view of the node (role, term, indices, follower progress).</summary>
    public Task<RaftStatus> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfFaulted();
        var request = new StatusRequest(new TaskCompletionSource<RaftStatus>(TaskCreationOptions.RunContinuationsAsynchronously));
        Post(request);
        return request.Completion.Task.WaitAsync(_options.ProposalTimeout, _time, cancellationToken);
    }

    /// <summary>Stops the loop and the timer, fails waiting callers with an unknown outcome and disposes the store.</summary>
    public async Task StopAsync()
    {
        _timer?.Dispose();
        await StopPassesAsync().ConfigureAwait(false);

        var stopped = new UnknownOutcomeException($"Replica {NodeId} of group {Group} stopped before the outcome was known.");
        FailAll(stopped);
        await StopTransfersAsync().ConfigureAwait(false);
        await StopSnapshotsAsync(stopped).ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private static TaskCompletionSource<ReadOnlyMemory<byte>> NewCompletion() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task<ReadOnlyMemory<byte>> AwaitOutcomeAsync(Task<ReadOnlyMemory<byte>> outcome, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await outcome.WaitAsync(_options.ProposalTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            throw new UnknownOutcomeException($"The {what} on replica {NodeId} of group {Group} did not complete in time; it may still take effect.", ex);
        }
    }

    private void ThrowIfFaulted()
    {
        if (_fault is { } fault)
        {
            throw new RaftReplicaFaultedException($"Replica {NodeId} of group {Group} is faulted: {fault.Message}", fault);
        }

        if (_node is null)
        {
            throw new InvalidOperationException($"Replica {NodeId} of group {Group} is not started.");
        }
    }

    /// <summary>Queues a tick (from this replica's timer, or from the host that drives it).</summary>
    internal void EnqueueTick()
    {
        // At most one tick waits in the mailbox: a loop that fell behind must not replay a backlog of ticks.
        if (Interlocked.Exchange(ref _tickQueued, 1) == 0)
        {
            Post(TickSignal.Instance);
        }
    }

    private void Publish()
    {
        var node = _node!;
        var members = _view.Members;
        if (!ReferenceEquals(node.Configuration, _publishedConfiguration))
        {
            _publishedConfiguration = node.Configuration;
            members = [.. node.Configuration.Members()];
            if (!members.SequenceEqual(_view.Members))
            {
                _hosting?.MembersChanged();
            }
        }

        var view = _view;
        if (view.Role != node.Role || view.Term != node.Term || view.Leader != node.Leader || view.Commit != node.CommitIndex
            || view.Applied != node.AppliedIndex || view.ConfigurationIndex != node.ConfigurationIndex || !ReferenceEquals(view.Members, members))
        {
            // Most passes (ticks, heartbeats) change none of it: publish only a new view.
            _view = new ReplicaView(node.Role, node.Term, node.Leader, node.CommitIndex, node.AppliedIndex, members, node.ConfigurationIndex);
        }

        CompleteLeaderChangeWaiters(node.Leader);
    }

    /// <summary>
    /// Ticks the node. A leader serving lease reads is ticked once for every tick interval
    /// that passed since its last tick, so after a pause (GC, a stalled host) it does not serve
    /// a lease read on a clock that stood still while its followers' ran; a backlog longer than
    /// two election timeouts is cut, as by then every timeout has fired. Everyone else gets one
    /// tick per signal: a late tick only makes a follower slower to start an election, which
    /// costs nothing but time, while a burst of caught-up ticks after a stall would start one.
    /// </summary>
    private void CatchUpTicks(RaftNode node)
    {
        var now = _time.GetTimestamp();
        var due = _time.GetElapsedTime(_lastTickAt, now).Ticks / _options.TickInterval.Ticks;
        if (!_options.Node.LeaseReads || node.Role != RaftRole.Leader)
        {
            _lastTickAt = now;
            node.Tick();
            return;
        }

        if (due <= 0)
        {
            return;
        }

        _lastTickAt += (long)(due * _options.TickInterval.Ticks * (_time.TimestampFrequency / (double)TimeSpan.TicksPerSecond));
        for (var i = Math.Min(due, 2L * _options.Node.ElectionTicks); i > 0; i--)
        {
            node.Tick();
        }
    }

    /// <summary>What the replica last published, read by clients without a trip through the mailbox.</summary>
    internal sealed record ReplicaView(RaftRole Role, ulong Term, ulong Leader, ulong Commit, ulong Applied, IReadOnlyList<ulong> Members, ulong ConfigurationIndex);

    private sealed record ProposeRequest(ReadOnlyMemory<byte> Command, ProposalId Id, TaskCompletionSource<ReadOnlyMemory<byte>> Completion);

    private sealed record ReadRequest(ReadOnlyMemory<byte> Query, TaskCompletionSource<ReadOnlyMemory<byte>> Completion);

    private sealed record StatusRequest(TaskCompletionSource<RaftStatus> Completion);

    private sealed class TickSignal
    {
        public static TickSignal Instance { get; } = new();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica {NodeId} of group {Group} started at term {Term} with {Entries} entries")]
    private partial void LogStarted(ulong nodeId, ulong group, ulong term, int entries);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Replica {NodeId} of group {Group} faulted and stopped")]
    private partial void LogFaulted(ulong nodeId, ulong group, Exception exception);
}
