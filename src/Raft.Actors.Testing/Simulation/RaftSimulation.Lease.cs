using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Testing.Linearizability;

namespace Raft.Actors.Testing.Simulation;

/// <summary>
/// Lease reads (thesis §6.4.1) under the conditions they promise to survive: clock rates that
/// differ within the drift bound, and paused processes that count the ticks they missed before
/// handling anything else. A targeted race (PITFALLS 8) cuts a leader off, or pauses it, with
/// its clock at the slow end and the others' at the fast end, makes a follower campaign until
/// it wins, writes through the new leader and reads from the old one.
/// </summary>
public sealed partial class RaftSimulation
{
    private static readonly RaftNodeOptions s_nodeDefaults = new() { Id = 1, InitialConfiguration = new ConfState() };

    private LeasePlay? _lease;
    private int _leaseReadsServed;

    /// <summary>
    /// The widest clock skew (± percent of the base tick rate) under which a lease is safe.
    /// A follower that took a heartbeat refuses votes until it has counted ElectionTicks (E)
    /// ticks; its first tick may come at once, so that is (E − 1) of its tick periods at
    /// least. The leader trusts the heartbeat for E − D (LeaseDriftTicks) of its own ticks,
    /// counted from when it sent it. Safe while (E − D) · slowest period ≤ (E − 1) · fastest
    /// period, that is (1 − s) / (1 + s) ≥ (E − D) / (E − 1): s ≤ (D − 1) / (2E − D − 1).
    /// With E = 10 and D = 2 that is 1/17, so ±5% (a lease of 8 × 10.5 ms against a promise of
    /// 9 × 9.5 ms); ±8% would already be unsafe.
    /// </summary>
    private static int MaxLeaseSkewPercent =>
        100 * (s_nodeDefaults.LeaseDriftTicks - 1) / ((2 * s_nodeDefaults.ElectionTicks) - s_nodeDefaults.LeaseDriftTicks - 1);

    /// <summary>A process back from a pause reads its clock first: the ticks it missed, before any message.</summary>
    private static void CatchUpMissedTicks(SimNode node)
    {
        for (; node.MissedTicks > 0; node.MissedTicks--)
        {
            node.Raft.Tick();
        }
    }

    /// <summary>Counts reads the leader answered in the same pass it was asked, without a quorum round: from its lease.</summary>
    private void CountLeaseReads(SimNode node, Ready ready)
    {
        if (node.LeaderReads.Count == 0)
        {
            return;
        }

        if (node.Raft.Configuration.Voters.Length > 1)
        {
            foreach (var read in ready.ReadStates)
            {
                if (node.LeaderReads.Contains(read.RequestId))
                {
                    _leaseReadsServed++;
                }
            }
        }

        node.LeaderReads.Clear();
    }

    private void StartLeaseScenario()
    {
        if (!_leaseReads || !BeginScenario("lease"))
        {
            return;
        }

        _lease = new LeasePlay { Deadline = _now + (1_000 * Millisecond) };
        _calm = true;
        Schedule(Millisecond, PollLease);
    }

    private void PollLease()
    {
        var play = _lease;
        if (play is null)
        {
            return;
        }

        if (_now > play.Deadline)
        {
            EndScenario($"lease gave up at step {play.Step}");
            return;
        }

        switch (play.Step)
        {
            case LeaseStep.Settle:
                SettleLease(play);
                break;
            case LeaseStep.Skewed when _now >= play.StepEnd:
                var old = NodeOf(play.OldLeader);
                if (!old.IsUp || old.Raft.Role != RaftRole.Leader)
                {
                    play.Step = LeaseStep.Settle;
                    break;
                }

                // Strike right after the leader renews its lease (see OnLeaseLeaderAcknowledged).
                play.OldTerm = old.Raft.Term;
                play.Step = LeaseStep.AwaitAck;
                break;
            case LeaseStep.Campaign:
                // The host may call Campaign at any time; keep asking until the others' promises lapse.
                var candidate = NodeOf(play.Candidate);
                if (candidate.IsUp && candidate.Raft.Role is RaftRole.Follower or RaftRole.PreCandidate)
                {
                    Deliver(candidate, CampaignInput.Instance);
                }

                break;
            case LeaseStep.Write when !_scriptedClients[0].Busy:
                EndScenario("lease: the write on the new leader did not complete");
                return;
            case LeaseStep.Read when _now >= play.StepEnd:
                EndScenario($"lease: read from the old leader after a write on the new one ({play.Variant})");
                return;
            case LeaseStep.Read:
                ReadFromOldLeader(play);
                break;
        }

        Schedule(_random.Between(500, 1_500), PollLease);
    }

    /// <summary>
    /// The old leader just stepped a heartbeat acknowledgement: its lease was renewed from the
    /// latest round the followers promised on. Cut it off (or pause it) now, so the window
    /// between the followers' promise and its lease is as wide as the clocks make it.
    /// </summary>
    private void OnLeaseLeaderAcknowledged(SimNode node)
    {
        var play = _lease;
        if (play is not { Step: LeaseStep.AwaitAck } || node.Id != play.OldLeader || node.Raft.Role != RaftRole.Leader || node.Raft.Term != play.OldTerm)
        {
            return;
        }

        if (play.Variant == LeaseVariant.Paused)
        {
            node.PausedUntil = _now + _random.Between(80 * Millisecond, 160 * Millisecond);
        }
        else
        {
            foreach (var n in _nodes)
            {
                if (n.Id != node.Id)
                {
                    CutBothWays(node.Id, n.Id);
                }
            }
        }

        if (play.Variant == LeaseVariant.FollowerRestarted)
        {
            // A follower that acknowledged the lease crashes and comes straight back: it must
            // still keep the promise it made before the crash.
            var follower = Pick(node.Raft.Configuration.Voters.Where(id => id != node.Id && id != play.Candidate && NodeOf(id).IsUp));
            if (follower != 0)
            {
                CrashAndRestart(NodeOf(follower), _random.Between(Millisecond, 5 * Millisecond));
            }
        }

        play.Step = LeaseStep.Campaign;
        play.Deadline = _now + (500 * Millisecond);
    }

    /// <summary>The write on the new leader completed: read the key from the old leader at once.</summary>
    private void OnScriptedOperationDone(SimClient client, OpOutcome outcome)
    {
        var play = _lease;
        if (play is not { Step: LeaseStep.Write } || client != _scriptedClients[0] || outcome != OpOutcome.Ok)
        {
            return;
        }

        // A moment later: an operation invoked at the instant another completes is concurrent with it.
        play.Step = LeaseStep.Read;
        play.StepEnd = _now + (40 * Millisecond);
        Schedule(1, () => ReadFromOldLeader(play));
    }

    /// <summary>Asks the old leader for the key just written with every idle reader, while its lease may last.</summary>
    private void ReadFromOldLeader(LeasePlay play)
    {
        if (_lease != play || play.Step != LeaseStep.Read)
        {
            return;
        }

        foreach (var reader in _scriptedClients.Skip(1))
        {
            if (!reader.Busy)
            {
                StartScriptedOperation(reader, KvOpKind.Get, play.Key, play.OldLeader);
            }
        }
    }

    /// <summary>A leader with a lease and three or more live voters: slow its clock, speed up the others', within the bound.</summary>
    private void SettleLease(LeasePlay play)
    {
        var leader = LiveLeader();
        if (leader is null)
        {
            return;
        }

        var raft = leader.Raft;
        var conf = raft.Configuration;
        var followers = conf.Voters.Where(id => id != leader.Id && NodeOf(id).IsUp && !NodeOf(id).Wiped).ToArray();
        if (conf.IsJoint || conf.Voters.Length < 3 || followers.Length != conf.Voters.Length - 1 || raft.Log.TermOrZero(raft.CommitIndex) != raft.Term)
        {
            return;
        }

        foreach (var n in _nodes)
        {
            n.TickInterval = BaseTickInterval * (100 + (n.Id == leader.Id ? MaxLeaseSkewPercent : -MaxLeaseSkewPercent)) / 100;
        }

        play.OldLeader = leader.Id;
        play.Candidate = followers[_random.Next(followers.Length)];
        var variant = _random.Next(10);
        play.Variant = variant < 3 ? LeaseVariant.Paused : variant < 5 ? LeaseVariant.FollowerRestarted : LeaseVariant.CutOff;
        play.Key = "k" + _random.Next(_options.Keys);
        play.Step = LeaseStep.Skewed;
        play.StepEnd = _now + (80 * Millisecond);
    }

    /// <summary>Someone else leads a later term: write through it at once.</summary>
    private void LeaseOnNewLeader(SimNode node)
    {
        var play = _lease;
        if (play is null || play.Step != LeaseStep.Campaign || node.Id == play.OldLeader || node.Raft.Term <= play.OldTerm)
        {
            return;
        }

        play.Step = LeaseStep.Write;

        StartScriptedOperation(_scriptedClients[0], KvOpKind.Put, play.Key, node.Id);
    }

    /// <summary>How the old leader loses the group: cut off, paused, or cut off while a follower that acknowledged it restarts.</summary>
    private enum LeaseVariant
    {
        CutOff,
        Paused,
        FollowerRestarted,
    }

    private enum LeaseStep
    {
        Settle,
        Skewed,
        AwaitAck,
        Campaign,
        Write,
        Read,
    }

    private sealed class LeasePlay
    {
        public LeaseStep Step { get; set; }

        public long Deadline { get; set; }

        public long StepEnd { get; set; }

        public ulong OldLeader { get; set; }

        public ulong OldTerm { get; set; }

        public ulong Candidate { get; set; }

        public LeaseVariant Variant { get; set; }

        public string Key { get; set; } = "";
    }
}
