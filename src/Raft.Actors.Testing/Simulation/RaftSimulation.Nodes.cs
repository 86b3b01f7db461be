using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.StateMachines;

namespace Raft.Actors.Testing.Simulation;

public sealed partial class RaftSimulation
{
    private void StartNode(SimNode node)
    {
        var options = new RaftNodeOptions
        {
            Id = node.Id,
            Group = 1,
            // Founders (and a founder restarted on a wiped disk, as an operator would) start with
            // the founding voters; a node added later joins with an empty membership.
            InitialConfiguration = node.Id <= (ulong)_options.Nodes ? _founders : new ConfState(),
            MaxEntriesPerMessage = _maxEntriesPerMessage,
            MaxInflightMessages = _maxInflightMessages,
            LeaseReads = _leaseReads,
            PlantedBugs = _options.ParsedPlantedBug,
        };
        node.RestoreState(node.DiskSnapshot?.Data);
        node.Raft = new RaftNode(options, _random.Fork(), node.LoadDisk(), node.DiskSnapshot?.Metadata);
        node.IsUp = true;
        node.Busy = false;
        node.Persisting = null;
        node.ProcessScheduled = false;
        node.ObservedLeaderTerm = 0;
        node.MissedTicks = 0;
        Wake(node);
    }

    private void ScheduleTick(SimNode node, long delay) => Schedule(delay, () =>
    {
        if (node.IsUp && node.PausedUntil <= _now)
        {
            node.Mailbox.Enqueue(TickInput.Instance);
            Wake(node);
        }
        else if (_leaseReads && node.IsUp)
        {
            // A paused process misses ticks of its own clock; the host counts them on waking.
            node.MissedTicks++;
        }

        ScheduleTick(node, node.TickInterval);
    });

    private void Deliver(SimNode node, object input)
    {
        if (!node.IsUp)
        {
            return;
        }

        node.Mailbox.Enqueue(input);
        Wake(node);
    }

    /// <summary>Schedules the replica loop when it has work and is free (one pass at a time, as in RaftReplica).</summary>
    private void Wake(SimNode node)
    {
        if (!node.IsUp || node.Busy || node.ProcessScheduled)
        {
            return;
        }

        if (node.Mailbox.Count == 0 && !node.Raft.HasReady && node.MissedTicks == 0)
        {
            return;
        }

        node.ProcessScheduled = true;
        var incarnation = node.Incarnation;
        Schedule(Math.Max(10, node.PausedUntil - _now), () => Process(node, incarnation));
    }

    /// <summary>One pass of the replica loop: step the whole mailbox, take one Ready, start its write.</summary>
    private void Process(SimNode node, int incarnation)
    {
        if (node.Incarnation != incarnation || !node.IsUp)
        {
            return;
        }

        node.ProcessScheduled = false;
        if (node.PausedUntil > _now)
        {
            Wake(node);
            return;
        }

        CatchUpMissedTicks(node);
        while (node.Mailbox.TryDequeue(out var input))
        {
            switch (input)
            {
                case TickInput:
                    node.Raft.Tick();
                    break;
                case RaftMessage message when _wipedDisks.Contains(message.DiskId):
                    StepFromWipedDisk(node, message);
                    break;
                case RaftMessage message:
                    node.Raft.Step(message);
                    if (_lease is not null && message.Type == MessageType.HeartbeatResponse)
                    {
                        OnLeaseLeaderAcknowledged(node);
                    }

                    break;
                case ClientRequest request:
                    HandleClientRequest(node, request);
                    break;
                case AdminRequest admin:
                    HandleAdminRequest(node, admin);
                    break;
                case CampaignInput:
                    node.Raft.Campaign();
                    break;
                case SnapshotReport report:
                    node.Raft.ReportSnapshot(report.Follower, report.Succeeded);
                    break;
            }
        }

        ObserveLeader(node);
        if (!node.Raft.HasReady)
        {
            return;
        }

        var ready = node.Raft.GetReady();
        if (ready.Refusal is not null)
        {
            // The runtime stops a refused replica for good: nothing else in the Ready is done.
            Refuse(node);
            return;
        }

        CountLeaseReads(node, ready);
        foreach (var m in ready.MessagesNow)
        {
            Send(m);
        }

        node.Busy = true;
        node.Persisting = ready;
        var latency = ready.MustPersist ? DiskLatency() : 5;
        Schedule(latency, () => PersistDone(node, incarnation, ready));
        MaybeCrashWhileVoting(node, ready, latency);
        MaybeIsolateWhileCatchingUp(node, ready);
    }

    private void PersistDone(SimNode node, int incarnation, Ready ready)
    {
        if (node.Incarnation != incarnation)
        {
            return;
        }

        if (node.PausedUntil > _now)
        {
            Schedule(node.PausedUntil - _now, () => PersistDone(node, incarnation, ready));
            return;
        }

        if (ready.Snapshot is { } snapshot)
        {
            node.InstallSnapshot(snapshot, node.ReceivedSnapshots[snapshot.Index]);
            node.ReceivedSnapshots.Clear();
            _snapshotsInstalled++;
        }

        node.WriteDisk(ready);
        node.Persisting = null;
        foreach (var m in ready.MessagesAfterPersist)
        {
            Send(m);
        }

        foreach (var entry in ready.CommittedEntries)
        {
            Apply(node, entry);
        }

        foreach (var read in ready.ReadStates)
        {
            if (node.ReadWaiters.Remove(read.RequestId, out var request))
            {
                node.ReadyReads.Add((read.Index, request));
            }
        }

        node.Raft.Advance(ready);
        node.Busy = false;
        MaybeTakeSnapshot(node);
        MaybeCrashAfterCommit(node, ready);
        ServeReads(node);
        ObserveLeader(node);
        Wake(node);
    }

    private void Apply(SimNode node, Entry entry)
    {
        _checker.OnApply(_now, node.Id, entry);
        var result = entry.Type == EntryType.Normal ? node.Sessions.Apply(entry) : ReadOnlyMemory<byte>.Empty;
        if (_services)
        {
            OnServiceApplied(node, entry, result);
        }

        if (node.ProposalWaiters.Remove(entry.Index, out var waiter))
        {
            if (waiter.Term == entry.Term)
            {
                _checker.OnAcknowledged(entry.Index, entry.Term);
                Reply(waiter.Request, ClientReply.Ok, result);
            }
            else
            {
                Reply(waiter.Request, ClientReply.Dropped, default);
            }
        }
    }

    /// <summary>Snapshot policy: every so many applied entries, keeping a trailing margin of log for slow followers.</summary>
    private void MaybeTakeSnapshot(SimNode node)
    {
        var applied = node.Raft.AppliedIndex;
        var last = node.DiskSnapshot?.Metadata.Index ?? 0;
        if (applied - last < (ulong)_snapshotEvery)
        {
            return;
        }

        var log = node.Raft.Log;
        var metadata = node.Raft.SnapshotMetadataAt(applied);
        node.DiskSnapshot = (metadata, node.CaptureState());
        node.Raft.SnapshotTaken(metadata);
        var through = applied - Math.Min(applied, (ulong)_compactionMargin);
        if (through > log.CompactedIndex)
        {
            var term = log.TermOrZero(through);
            node.Raft.Compact(through);
            node.CompactDisk(through, term);
        }
    }

    private void ServeReads(SimNode node)
    {
        for (var i = node.ReadyReads.Count - 1; i >= 0; i--)
        {
            var (index, request) = node.ReadyReads[i];
            if (index <= node.Raft.AppliedIndex)
            {
                node.ReadyReads.RemoveAt(i);
                Reply(request, ClientReply.Ok, node.Sessions.StateMachine.Query(request.Client.ReadQuery()));
            }
        }
    }

    private void ObserveLeader(SimNode node)
    {
        if (node.Raft.Role == RaftRole.Leader)
        {
            _checker.OnLeaderCommit(node.Raft, node.Raft.Log);
            _checker.CheckConfigurationGuard(_now, node.Raft, node.Raft.Log);
        }

        if (node.Raft.Role == RaftRole.Leader && node.Raft.Term > node.ObservedLeaderTerm)
        {
            node.ObservedLeaderTerm = node.Raft.Term;
            _checker.OnLeader(_now, node.Raft, node.Raft.Log);
            MaybeIsolateNewLeader(node);
            if (_membership)
            {
                OnNewLeader(node);
            }
        }
    }

    private void Crash(SimNode node)
    {
        _crashes++;
        Halt(node);
        node.ReceivedSnapshots.Clear();
        node.MissedTicks = 0;
        if (node.Persisting is { } inFlight && _random.Chance(0.5))
        {
            // A torn write: a prefix of the batch reached the disk, the hard state did not.
            node.AppendToDisk(inFlight.EntriesToPersist, _random.Next(inFlight.EntriesToPersist.Count + 1));
        }

        node.Persisting = null;
    }

    private long DiskLatency() =>
        _random.Chance(0.05) && !_calm ? _random.Between(5 * Millisecond, 30 * Millisecond) : _random.Between(100, _calm ? Millisecond : 2 * Millisecond);

    private bool RunUntilConverged()
    {
        var deadline = _now + _options.ConvergeMilliseconds * Millisecond;
        while (_now < deadline)
        {
            RunUntil(_now + _random.Between(Millisecond, 10 * Millisecond), () => _checker.Violations.Count > 0);
            if (_checker.Violations.Count > 0)
            {
                return false;
            }

            if (IsConverged())
            {
                return true;
            }
        }

        return false;
    }

    private bool IsConverged() => ConvergenceProblem() is null;

    /// <summary>
    /// Why the group has not converged yet, or null once it has: one leader, no client busy,
    /// everything committed, and every live member of the leader's configuration (removed
    /// nodes rightly stop hearing from it) following that leader with the same log, applied,
    /// and in the same configuration. A member that came back on a wiped disk must be refused.
    /// </summary>
    private string? ConvergenceProblem()
    {
        var leader = _nodes.FirstOrDefault(n => n.IsUp && n.Raft.Role == RaftRole.Leader);
        if (leader is null)
        {
            return "no leader";
        }

        if (_clients.Any(c => c.Busy) || _scriptedClients.Any(c => c.Busy))
        {
            return "a client is waiting";
        }

        var commit = leader.Raft.CommitIndex;
        if (commit != leader.Raft.LastIndex)
        {
            return $"leader {leader.Id} has entries after its commit index {commit}";
        }

        var conf = leader.Raft.Configuration;
        foreach (var n in _nodes)
        {
            if (!conf.Contains(n.Id) || n.Refused)
            {
                continue;
            }

            if (n.Wiped)
            {
                return $"node {n.Id} came back on a wiped disk and is still a member, yet no member refused it";
            }

            if (!n.IsUp || n.Raft.Leader != leader.Id || n.Raft.Term != leader.Raft.Term ||
                n.Raft.LastIndex != commit || n.Raft.AppliedIndex != commit)
            {
                return $"member {n.Id} has not caught up with leader {leader.Id}";
            }

            if (n.Persisting?.Snapshot is not null)
            {
                // The core counts a snapshot as applied once it hands it out; the state machine
                // holds it only when the runtime's install (this write) is done.
                return $"member {n.Id} is still installing a snapshot";
            }

            if (!n.Raft.Configuration.Equals(conf))
            {
                return $"member {n.Id} is in configuration {n.Raft.Configuration}, the leader in {conf}";
            }
        }

        return null;
    }

    /// <summary>The live members of the converged leader's configuration.</summary>
    private IEnumerable<SimNode> ConvergedMembers()
    {
        var leader = _nodes.First(n => n.IsUp && n.Raft.Role == RaftRole.Leader);
        return _nodes.Where(n => n.IsUp && !n.Refused && leader.Raft.Configuration.Contains(n.Id));
    }

    /// <summary>After convergence: members that applied the same log hold the same state.</summary>
    private void CheckConvergedStates()
    {
        var members = ConvergedMembers().ToArray();
        if (_services)
        {
            CheckConvergedServiceStates(members);
            return;
        }

        for (var k = 0; k < _options.Keys; k++)
        {
            var key = "k" + k;
            var expected = Kv(members[0]).Get(key);
            foreach (var n in members)
            {
                if (Kv(n).Get(key) != expected)
                {
                    _checker.Report(_now, $"state machine safety: after applying through {n.Raft.AppliedIndex}, node {n.Id} holds {key}={Kv(n).Get(key) ?? "(none)"} but node {members[0].Id} holds {expected ?? "(none)"}");
                    return;
                }
            }
        }
    }

    private static KvStateMachine Kv(SimNode node) => (KvStateMachine)node.Sessions.StateMachine;

    /// <summary>A member refused this node: its runtime stops it, and nothing brings it back.</summary>
    private void Refuse(SimNode node)
    {
        node.Refused = true;
        Halt(node);
        node.Persisting = null;
        node.Busy = false;
    }

    /// <summary>Takes a node down: what it held in memory is gone, and events scheduled for it are stale.</summary>
    private static void Halt(SimNode node)
    {
        node.IsUp = false;
        node.Incarnation++;
        node.Mailbox.Clear();
        node.ProposalWaiters.Clear();
        node.ReadWaiters.Clear();
        node.ReadyReads.Clear();
    }

    private string Describe(SimNode node) =>
        node.Refused ? $"node {node.Id} refused" :
        node.IsUp ? $"{node.Raft}{(node.Busy ? " writing" : "")}{(node.Wiped ? " wiped" : "")}{(_membership ? $" ({node.Raft.Configuration})" : "")}" : $"node {node.Id} down";
}
