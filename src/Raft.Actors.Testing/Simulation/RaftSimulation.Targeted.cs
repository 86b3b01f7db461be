using Raft.Actors.Consensus;

namespace Raft.Actors.Testing.Simulation;

/// <summary>
/// Faults aimed at the moments where Raft implementations break (as FoundationDB's "buggify"):
/// a crash while a vote is being written, a new leader cut off before its first entries
/// spread, a leader crashing right after it commits. Each seed switches each one on with its
/// own probability, so some seeds are calm and others hammer one moment.
/// </summary>
public sealed partial class RaftSimulation
{
    private double _crashWhileVoting;
    private double _isolateNewLeader;
    private double _crashAfterCommit;
    private double _isolateWhileCatchingUp;
    private long _maxFaultInterval;

    private void ChooseTargetedFaults()
    {
        _crashWhileVoting = _random.Chance(0.5) ? _random.NextDouble() * 0.3 : 0;
        _isolateNewLeader = _random.Chance(0.5) ? _random.NextDouble() : 0;
        _crashAfterCommit = _random.Chance(0.5) ? _random.NextDouble() * 0.1 : 0;
        _isolateWhileCatchingUp = _random.Chance(0.5) ? _random.NextDouble() * 0.6 : 0;

        // Half the seeds are storms: a new fault every few tens of milliseconds.
        _maxFaultInterval = _random.Chance(0.5) ? 200 * Millisecond : 500 * Millisecond;
    }

    private bool Targeting => _options.Faults && _now < _faultEnd && _scenario is null;

    /// <summary>A write that records a vote is in flight: maybe crash before it lands.</summary>
    private void MaybeCrashWhileVoting(SimNode node, Ready ready, long writeLatency)
    {
        if (Targeting && ready.HardState is { Vote: not 0 } hs && hs.Vote != node.DiskHardState.Vote && _random.Chance(_crashWhileVoting))
        {
            Schedule(_random.Between(0, writeLatency), () => CrashAndRestart(node, _random.Between(Millisecond, 60 * Millisecond)));
        }
    }

    /// <summary>A node just became leader: maybe cut it off before its no-op replicates.</summary>
    private void MaybeIsolateNewLeader(SimNode node)
    {
        if (Targeting && _random.Chance(_isolateNewLeader))
        {
            Isolate(node, _random.Between(20 * Millisecond, 400 * Millisecond));
        }
    }

    private void Isolate(SimNode node, long duration)
    {
        _partitionChanges++;
        foreach (var other in _nodes)
        {
            if (other.Id != node.Id)
            {
                _blocked.Add((node.Id, other.Id));
                _blocked.Add((other.Id, node.Id));
            }
        }

        var epoch = _scenarioEpoch;
        Schedule(duration, () =>
        {
            // A targeted scenario that began since then owns the links now.
            if (epoch == _scenarioEpoch)
            {
                _blocked.RemoveWhere(link => link.From == node.Id || link.To == node.Id);
            }
        });
    }

    /// <summary>
    /// A leader sends a follower entries of earlier terms only (it is catching it up): maybe
    /// cut it off mid-way. The follower then holds old-term entries without the leader's own
    /// (Raft §5.4.2, Figure 8).
    /// </summary>
    private void MaybeIsolateWhileCatchingUp(SimNode node, Ready ready)
    {
        if (!Targeting || ready.Role != RaftRole.Leader || _isolateWhileCatchingUp == 0)
        {
            return;
        }

        foreach (var m in ready.MessagesNow)
        {
            if (m.Type == Protocol.MessageType.Append && m.Entries.Length > 0 && m.Entries[^1].Term < m.Term && _random.Chance(_isolateWhileCatchingUp))
            {
                Schedule(_random.Between(0, 5 * Millisecond), () => Isolate(node, _random.Between(20 * Millisecond, 400 * Millisecond)));
                return;
            }
        }
    }

    /// <summary>A leader just applied newly committed entries: maybe crash it now.</summary>
    private void MaybeCrashAfterCommit(SimNode node, Ready ready)
    {
        if (Targeting && ready.Role == RaftRole.Leader && ready.CommittedEntries.Count > 0 && _random.Chance(_crashAfterCommit))
        {
            Schedule(_random.Between(0, 2 * Millisecond), () => CrashAndRestart(node, _random.Between(5 * Millisecond, 600 * Millisecond)));
        }
    }

    private void CrashAndRestart(SimNode node, long downFor)
    {
        if (!node.IsUp)
        {
            return;
        }

        Crash(node);
        Schedule(downFor, () =>
        {
            if (!node.IsUp && !node.Refused)
            {
                StartNode(node);
            }
        });
    }
}
