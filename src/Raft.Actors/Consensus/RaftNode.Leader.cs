using Raft.Actors.Protocol;

namespace Raft.Actors.Consensus;

public sealed partial class RaftNode
{
    private void BecomeLeader()
    {
        Reset(Term);
        Role = RaftRole.Leader;
        Leader = Id;
        _tracker.ResetProgress(_log.LastIndex);
        var self = _tracker.Progress[Id];
        self.BecomeReplicate();
        self.MaybeUpdate(_log.Stable);
        self.RecentActive = true;

        // Raft §8: a new leader does not know which entries are committed until it commits
        // one of its own term, so it appends an empty entry at once. Reads wait for it too.
        _log.AppendOwn(new Entry { Index = _log.LastIndex + 1, Term = Term });
        _appendPending = true;
    }

    private void TickLeader()
    {
        _heartbeatElapsed++;
        _electionElapsed++;
        TickTransfer();
        if (_electionElapsed >= _options.ElectionTicks)
        {
            _electionElapsed = 0;
            if (_options.CheckQuorum && !CheckQuorumActive())
            {
                // Thesis §6.2: a leader that cannot reach a quorum steps down, so clients
                // find the real leader and stale reads by lease become impossible.
                BecomeFollower(Term, 0);
                return;
            }
        }

        if (_heartbeatElapsed >= _options.HeartbeatTicks)
        {
            _heartbeatElapsed = 0;
            BroadcastHeartbeat(default);
        }
    }

    private bool CheckQuorumActive()
    {
        var active = _tracker.QuorumActive(Id);
        foreach (var (id, pr) in _tracker.Progress)
        {
            pr.RecentActive = id == Id;
        }

        return active;
    }

    private void StepLeader(RaftMessage m)
    {
        if (!_tracker.Progress.TryGetValue(m.From, out var pr))
        {
            return;
        }

        switch (m.Type)
        {
            case MessageType.AppendResponse:
                pr.RecentActive = true;
                HandleAppendResponse(m, pr);
                ObserveDisk(m);
                break;
            case MessageType.HeartbeatResponse:
                pr.RecentActive = true;
                HandleHeartbeatResponse(m, pr);
                ObserveDisk(m);
                break;
            case MessageType.ReadIndex when TryDecodeId(m.Context, out var requestId):
                HandleReadRequest(new PendingRead(m.From, requestId));
                break;
        }
    }

    private void HandleAppendResponse(RaftMessage m, Progress pr)
    {
        if (m.Reject)
        {
            var matchHint = m.RejectHint;
            if (m.HintTerm > 0)
            {
                matchHint = _log.FindConflictByTerm(m.RejectHint, m.HintTerm).Index;
            }

            if (pr.MaybeDecreaseTo(m.Index, matchHint))
            {
                if (pr.State == ProgressState.Replicate)
                {
                    pr.BecomeProbe();
                }

                SendAppend(m.From, pr, sendIfEmpty: true);
            }

            return;
        }

        var wasPaused = pr.IsPaused;
        if (!pr.MaybeUpdate(m.Index))
        {
            return;
        }

        switch (pr.State)
        {
            case ProgressState.Probe:
                pr.BecomeReplicate();
                break;
            case ProgressState.Snapshot:
                // The follower installed the snapshot (or caught up otherwise): replicate after it.
                pr.BecomeProbe();
                pr.BecomeReplicate();
                break;
            default:
                pr.Inflights.FreeUpTo(m.Index);
                break;
        }

        if (MaybeCommit())
        {
            OnCommitted();
            if (Role != RaftRole.Leader)
            {
                return;
            }
        }
        else if (wasPaused)
        {
            SendAppend(m.From, pr, sendIfEmpty: true);
        }

        while (SendAppend(m.From, pr, sendIfEmpty: false))
        {
        }

        MaybeSendTimeoutNow(m.From, pr);
    }

    private void HandleHeartbeatResponse(RaftMessage m, Progress pr)
    {
        pr.ProbeSent = false;
        pr.LeaseTick = Math.Max(pr.LeaseTick, (long)m.Index);
        if (pr.State == ProgressState.Replicate && pr.Inflights.IsFull)
        {
            // Appends or their acks were lost: free a slot so replication cannot stall for good.
            pr.Inflights.FreeFirst();
        }

        if (pr.Match < _log.LastIndex)
        {
            SendAppend(m.From, pr, sendIfEmpty: true);
        }

        if (TryDecodeId(m.Context, out var round))
        {
            var released = _reads.Acknowledge(m.From, round, _tracker.IsQuorum);
            if (released is not null)
            {
                foreach (var (read, index) in released)
                {
                    AnswerRead(read, index);
                }
            }
        }
    }

    private void OnLeaderEntriesDurable()
    {
        // A leader that removed itself has no progress of its own.
        if (_tracker.Progress.TryGetValue(Id, out var self) && self.MaybeUpdate(_log.Stable) && MaybeCommit())
        {
            OnCommitted();
        }
    }

    /// <summary>
    /// Raft §5.4.2 (Figure 8): an entry is committed by counting replicas only if it is of the
    /// current term; earlier entries commit indirectly with it. Counting replicas of an
    /// older-term entry can commit an entry that a later leader overwrites.
    /// </summary>
    private bool MaybeCommit()
    {
        var quorumMatch = _tracker.QuorumMatch();
        if (quorumMatch <= _log.Committed)
        {
            return false;
        }

        if (_log.TermOrZero(quorumMatch) != Term && !Has(PlantedBug.PriorTermCommit))
        {
            return false;
        }

        var hadTermCommit = CommittedInCurrentTerm;
        _log.CommitTo(quorumMatch);
        if (!hadTermCommit && CommittedInCurrentTerm)
        {
            _reads.ReleaseTermCommitHold();
        }

        return true;
    }

    private bool CommittedInCurrentTerm => _log.TermOrZero(_log.Committed) == Term;

    private void HandleReadRequest(PendingRead read)
    {
        if (Has(PlantedBug.StaleRead) || (CommittedInCurrentTerm && HoldsLease()))
        {
            AnswerRead(read, _log.Committed);
            return;
        }

        _reads.Add(read, CommittedInCurrentTerm);
    }

    private void AnswerRead(PendingRead read, ulong index)
    {
        if (read.Requester == Id)
        {
            _readStates.Add(new ReadState(read.RequestId, index));
        }
        else
        {
            Send(new RaftMessage { Type = MessageType.ReadIndexResponse, To = read.Requester, Index = index, Context = EncodeId(read.RequestId) });
        }
    }

    /// <summary>
    /// Sends what accumulated since the last Ready in one go: new entries to every follower
    /// (all proposals of a batch travel in one Append) and one heartbeat round for all reads.
    /// </summary>
    private void FlushLeaderSends()
    {
        if (_appendPending)
        {
            _appendPending = false;
            foreach (var (id, pr) in _tracker.Progress)
            {
                if (id != Id)
                {
                    while (SendAppend(id, pr, sendIfEmpty: false))
                    {
                    }
                }
            }
        }

        if (_reads.HasUnsent)
        {
            var round = _reads.StartRound(_log.Committed, Id);
            if (_tracker.IsQuorum(new HashSet<ulong> { Id }))
            {
                foreach (var (read, index) in _reads.Acknowledge(Id, round, _ => true) ?? [])
                {
                    AnswerRead(read, index);
                }
            }
            else
            {
                BroadcastHeartbeat(EncodeId(round));
            }
        }
    }

    private void BroadcastAppend()
    {
        foreach (var (id, pr) in _tracker.Progress)
        {
            if (id != Id)
            {
                SendAppend(id, pr, sendIfEmpty: true);
            }
        }
    }

    private void BroadcastHeartbeat(ReadOnlyMemory<byte> context)
    {
        foreach (var (id, pr) in _tracker.Progress)
        {
            if (id != Id)
            {
                // A follower may not have the entries up to our commit yet.
                // Index carries our tick; the echo dates the follower's promise not to vote (lease reads).
                Send(new RaftMessage { Type = MessageType.Heartbeat, To = id, Commit = Math.Min(pr.Match, _log.Committed), Context = context, Index = (ulong)_ticks });
            }
        }
    }

    private void SendSnapshot(ulong to, Progress pr)
    {
        var snapshot = _snapshot ?? throw new InvalidOperationException($"{this}: follower {to} needs compacted entries ({pr}) but there is no snapshot.");
        pr.BecomeSnapshot(snapshot.Index);
        Send(new RaftMessage { Type = MessageType.Snapshot, To = to, Snapshot = snapshot });
    }

    /// <summary>Sends the next Append to a follower if its flow control allows; false when nothing was sent.</summary>
    private bool SendAppend(ulong to, Progress pr, bool sendIfEmpty)
    {
        if (pr.IsPaused)
        {
            return false;
        }

        var prevIndex = pr.Next - 1;
        if (!_log.TryTerm(prevIndex, out var prevTerm))
        {
            // The entries the follower needs were compacted away: it needs a snapshot.
            SendSnapshot(to, pr);
            return true;
        }

        var entries = _log.Slice(pr.Next, _options.MaxEntriesPerMessage, _options.MaxBytesPerMessage);
        if (entries.Length == 0 && !sendIfEmpty)
        {
            return false;
        }

        long bytes = 0;
        foreach (var e in entries)
        {
            bytes += e.Size;
        }

        Send(new RaftMessage { Type = MessageType.Append, To = to, Index = prevIndex, LogTerm = prevTerm, Entries = [.. entries], Commit = _log.Committed });
        pr.SentEntries(entries.Length, entries.Length > 0 ? entries[^1].Index : prevIndex, bytes);
        return true;
    }

    /// <summary>
    /// True while this leader's lease holds (thesis §6.4.1): a quorum acknowledged heartbeats
    /// sent less than an election timeout minus the drift bound ago, so no other leader can
    /// have been elected since. Never during a transfer, which asks voters to ignore the lease,
    /// nor for the rest of the term once this leader sent TimeoutNow (it may arrive late).
    /// </summary>
    private bool HoldsLease()
    {
        if (!_options.LeaseReads || LeadTransferee != 0 || _leaseForfeited)
        {
            return false;
        }

        var lease = _options.ElectionTicks - (Has(PlantedBug.LeaseNoDrift) ? 0 : _options.LeaseDriftTicks);
        var since = _ticks - lease;
        return _tracker.IsQuorum(id => id == Id || (_tracker.Progress.TryGetValue(id, out var pr) && pr.LeaseTick > since));
    }
}
