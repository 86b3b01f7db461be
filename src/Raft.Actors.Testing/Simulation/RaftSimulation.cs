using Raft.Actors.Protocol;
using Raft.Actors.Services;
using Raft.Actors.Testing.Linearizability;

namespace Raft.Actors.Testing.Simulation;

/// <summary>
/// A deterministic simulation of a Raft group: one thread, virtual time in microseconds, and
/// one seed deciding every choice (latencies, losses, faults, client operations, election
/// jitter). The same options give the same run, event for event.
/// </summary>
public sealed partial class RaftSimulation
{
    private const long Millisecond = 1000;
    private const long BaseTickInterval = 10 * Millisecond;

    private readonly SimulationOptions _options;
    private readonly SimRandom _random;
    private readonly PriorityQueue<Action, (long Time, long Sequence)> _events = new();
    private readonly List<SimNode> _nodes;
    private readonly SimClient[] _clients;
    private readonly SafetyChecker _checker;
    private readonly List<Linearizability.KvOperation> _history = [];
    private readonly long _faultEnd;
    private readonly int _maxEntriesPerMessage;
    private readonly int _maxInflightMessages;
    private readonly int _snapshotEvery;
    private readonly int _compactionMargin;
    private readonly bool _membership;
    private readonly bool _leaseReads;
    private readonly bool _services;
    private readonly ConfState _founders;
    private readonly SimClient[] _scriptedClients;
    private int _snapshotsInstalled;
    private long _now;
    private long _sequence;
    private int _crashes;
    private int _partitionChanges;

    /// <summary>Prepares a run; nothing happens until <see cref="Run()"/>.</summary>
    public RaftSimulation(SimulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _ = options.ParsedPlantedBug;
        _ = options.ParsedScenario;
        _membership = options.MembershipWorkload;
        _services = options.ServicesWorkload;
        _leaseReads = options.ParsedLeaseReads;
        _options = options;
        _checker = new SafetyChecker(checkConfigurationGuard: (options.ParsedPlantedBug & Consensus.PlantedBug.UnguardedConfChange) == 0);
        _random = new SimRandom(options.Seed);
        _faultEnd = options.FaultMilliseconds * Millisecond;

        // Small messages and windows make leaders replicate in pieces, where commit rules matter.
        _maxEntriesPerMessage = _random.Chance(0.5) ? 1 : 1 + _random.Next(16);
        _maxInflightMessages = 1 + _random.Next(8);
        _snapshotEvery = 10 + _random.Next(200);
        _compactionMargin = _random.Next(30);
        _nodes = new List<SimNode>(options.Nodes);
        var serviceBugs = options.ParsedServicePlantedBug;
        for (var i = 0; i < options.Nodes; i++)
        {
            _nodes.Add(_services
                ? new SimNode((ulong)(i + 1)) { TickInterval = BaseTickInterval, NewStateMachine = () => new ServiceStateMachine { PlantedBugs = serviceBugs } }
                : new SimNode((ulong)(i + 1)) { TickInterval = BaseTickInterval });
        }

        _founders = ConfState.OfVoters([.. _nodes.Select(n => n.Id)]);
        _clients = new SimClient[options.Clients];
        for (var i = 0; i < _clients.Length; i++)
        {
            var target = (ulong)(1 + _random.Next(options.Nodes));
            _clients[i] = _services ? NewServiceClient(i + 1, target) : new SimClient(i + 1) { TargetNode = target };
        }

        // Clients that targeted scenarios drive (a write on the new leader, reads on the old one).
        _scriptedClients = _membership
            ? [.. Enumerable.Range(options.Clients + 1, 3).Select(id => new SimClient(id) { Pinned = true })]
            : [];
    }

    /// <summary>Runs a seed with default options and returns what it found.</summary>
    public static SimulationResult Run(ulong seed, int nodes = 3, string? plantedBug = null) =>
        new RaftSimulation(new SimulationOptions { Seed = seed, Nodes = nodes, PlantedBug = plantedBug }).Run();

    /// <summary>The client history of the run, for the linearizability checker.</summary>
    public IReadOnlyList<Linearizability.KvOperation> History => _history;

    /// <summary>Runs faults and traffic, heals everything, waits for convergence and checks every invariant.</summary>
    public SimulationResult Run()
    {
        foreach (var node in _nodes)
        {
            StartNode(node);
            ScheduleTick(node, _random.Between(0, node.TickInterval));
        }

        foreach (var client in _clients)
        {
            Schedule(_random.Between(0, 50 * Millisecond), () => StartOperation(client));
        }

        if (_options.Faults)
        {
            ChooseTargetedFaults();
            Schedule(_random.Between(50 * Millisecond, 300 * Millisecond), InjectFault);
        }

        if (_membership)
        {
            StartMembershipWorkload();
        }

        Schedule(_faultEnd, HealEverything);
        RunUntil(_faultEnd, () => _checker.Violations.Count > 0);
        var converged = _checker.Violations.Count == 0 && RunUntilConverged();
        if (_checker.Violations.Count == 0 && !converged)
        {
            _checker.Violations.Add($"t={_now / Millisecond}ms liveness: no convergence {_options.ConvergeMilliseconds} ms after healing ({ConvergenceProblem()}): {string.Join("; ", _nodes.Select(Describe))}; busy clients: {string.Join(", ", _clients.Where(c => c.Busy).Select(c => c.Id))}");
        }

        var logs = _nodes.Select(n => (n.Id, n.Raft.Log)).ToArray();
        _checker.CheckLogMatching(_now, logs);
        if (converged)
        {
            // Members only: a removed node rightly stops receiving the log.
            var members = ConvergedMembers().Select(n => (n.Id, n.Raft.Log)).ToArray();
            _checker.CheckAcknowledgedWrites(_now, members);
            CheckConvergedStates();
        }

        if (_checker.Violations.Count == 0)
        {
            // A search that runs out of budget proves nothing either way: report it, never pass it.
            var lin = LinearizabilityChecker.Check(_history, TimeSpan.FromSeconds(60));
            if (!lin.IsLinearizable || lin.TimedOut)
            {
                _checker.Violations.Add($"linearizability{(lin.TimedOut ? " check undecided (budget exhausted)" : "")}: key {lin.Key}: {lin.Explanation}");
            }
            else if (_services)
            {
                CheckServiceHistories();
            }
        }

        return new SimulationResult(
            _options.Seed,
            _checker.Violations,
            _services ? _serviceCalls : _history.Count,
            _services ? _serviceCallsOk : _history.Count(o => o.Outcome == OpOutcome.Ok),
            _services ? _serviceCallsUnknown : _history.Count(o => o.Outcome == OpOutcome.Unknown),
            _checker.Elections,
            _crashes,
            _partitionChanges,
            _snapshotsInstalled,
            _now / Millisecond)
        {
            ConfChanges = _confChangesAccepted,
            Transfers = _transfersAccepted,
            LeaseReads = _leaseReadsServed,
            Refused = _nodes.Count(n => n.Refused),
            Scenario = _scenarioOutcome,
            SequenceRanges = _sequenceHistory.Count(o => o.Outcome == OpOutcome.Ok),
            LockGrants = _locks.Grants,
            FencedWritesAccepted = _locks.FencedWritesAccepted,
            FencedWritesRefused = _locks.FencedWritesRefused,
        };
    }

    private void Schedule(long delay, Action action) => _events.Enqueue(action, (_now + Math.Max(0, delay), _sequence++));

    private void RunUntil(long end, Func<bool> stop)
    {
        while (!stop() && _events.TryPeek(out var action, out var at) && at.Time <= end)
        {
            _events.Dequeue();
            _now = at.Time;
            action();
        }

        _now = Math.Max(_now, end);
    }
}
