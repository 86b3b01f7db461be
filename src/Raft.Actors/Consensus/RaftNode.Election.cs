using Raft.Actors.Protocol;

namespace Raft.Actors.Consensus;

public sealed partial class RaftNode
{
    private void TickElection()
    {
        _electionElapsed++;
        if (IsPromotable && _electionElapsed >= _randomizedElectionTimeout)
        {
            _electionElapsed = 0;
            Hup();
        }
    }

    private void Hup()
    {
        if (Role == RaftRole.Leader || !IsPromotable)
        {
            return;
        }

        Campaign(preVote: _options.PreVote);
    }

    private void Campaign(bool preVote, bool transfer = false)
    {
        ulong voteTerm;
        MessageType requestType;
        if (preVote)
        {
            // Thesis §9.6: ask first whether we could win; terms move only if we could.
            Role = RaftRole.PreCandidate;
            Leader = 0;
            _tracker.ResetVotes();
            voteTerm = Term + 1;
            requestType = MessageType.PreVote;
            _tracker.RecordVote(Id, true);
        }
        else
        {
            Reset(Term + 1);
            Role = RaftRole.Candidate;
            Vote = Id;
            voteTerm = Term;
            requestType = MessageType.Vote;
            if (Has(PlantedBug.VoteBeforePersist))
            {
                _tracker.RecordVote(Id, true);
            }
            else
            {
                // Our own vote counts only once it is durable: a crash before that could
                // let us vote for someone else in this term after restart (etcd #14370).
                Send(new RaftMessage { Type = MessageType.VoteResponse, To = Id, Term = Term });
            }
        }

        if (_tracker.TallyVotes() == VoteResult.Won)
        {
            WinElection(preVote);
            return;
        }

        foreach (var id in _tracker.Configuration.Members())
        {
            if (id != Id && _tracker.IsVoter(id))
            {
                Send(new RaftMessage { Type = requestType, To = id, Term = voteTerm, Index = _log.LastIndex, LogTerm = _log.LastTerm, Context = transfer ? s_transferContext : default });
            }
        }
    }

    private void StepCandidate(RaftMessage m)
    {
        switch (m.Type)
        {
            case MessageType.Append:
                BecomeFollower(Term, m.From);
                HandleAppend(m);
                break;
            case MessageType.Heartbeat:
                BecomeFollower(Term, m.From);
                HandleHeartbeat(m);
                break;
            case MessageType.Snapshot:
                BecomeFollower(Term, m.From);
                HandleSnapshot(m);
                break;
            case MessageType.VoteResponse when Role == RaftRole.Candidate:
            case MessageType.PreVoteResponse when Role == RaftRole.PreCandidate:
                _tracker.RecordVote(m.From, !m.Reject);
                switch (_tracker.TallyVotes())
                {
                    case VoteResult.Won:
                        WinElection(Role == RaftRole.PreCandidate);
                        break;
                    case VoteResult.Lost:
                        // A rejection may carry a higher term (handled in StepInternal); here the term stays.
                        BecomeFollower(Term, 0);
                        break;
                }

                break;
        }
    }

    private void WinElection(bool preVote)
    {
        if (preVote)
        {
            Campaign(preVote: false);
        }
        else
        {
            BecomeLeader();
        }
    }

    private void StepFollower(RaftMessage m)
    {
        switch (m.Type)
        {
            case MessageType.Append:
                _electionElapsed = 0;
                Leader = m.From;
                HandleAppend(m);
                break;
            case MessageType.Heartbeat:
                _electionElapsed = 0;
                Leader = m.From;
                HandleHeartbeat(m);
                break;
            case MessageType.Snapshot:
                _electionElapsed = 0;
                Leader = m.From;
                HandleSnapshot(m);
                break;
            case MessageType.ReadIndexResponse when TryDecodeId(m.Context, out var requestId):
                _readStates.Add(new ReadState(requestId, m.Index));
                break;
            case MessageType.TimeoutNow:
                HandleTimeoutNow();
                break;
        }
    }

    private void HandleAppend(RaftMessage m)
    {
        if (m.Index < _log.Committed)
        {
            // Everything up to our commit index matches the leader's log already.
            Send(new RaftMessage { Type = MessageType.AppendResponse, To = m.From, Index = _log.Committed });
            return;
        }

        var lastNew = _log.TryAppend(m.Index, m.LogTerm, m.Commit, m.Entries);
        if (lastNew is { } last)
        {
            SyncConfiguration();
            Send(new RaftMessage { Type = MessageType.AppendResponse, To = m.From, Index = last });
            return;
        }

        // Thesis §5.4 (fast backtracking): tell the leader the last index whose term could
        // still match, so it skips a whole divergent term in one round trip.
        var (hintIndex, hintTerm) = _log.FindConflictByTerm(Math.Min(m.Index, _log.LastIndex), m.LogTerm);
        Send(new RaftMessage { Type = MessageType.AppendResponse, To = m.From, Index = m.Index, Reject = true, RejectHint = hintIndex, HintTerm = hintTerm });
    }

    /// <summary>
    /// A snapshot from the leader, whose data the runtime has already received and stored. Raft
    /// §7: if our log has the snapshot's last entry, the log after it is kept (it may hold
    /// entries the snapshot does not); otherwise the whole log is replaced by the snapshot.
    /// </summary>
    private void HandleSnapshot(RaftMessage m)
    {
        var snapshot = m.Snapshot;
        if (snapshot is null)
        {
            return;
        }

        if (snapshot.Index <= _log.Committed)
        {
            Send(new RaftMessage { Type = MessageType.AppendResponse, To = m.From, Index = _log.Committed });
            return;
        }

        if (_log.MatchTerm(snapshot.Index, snapshot.Term))
        {
            _log.CommitTo(snapshot.Index);
        }
        else
        {
            _log.RestoreSnapshot(snapshot.Index, snapshot.Term, snapshot.ConfState);
            SyncConfiguration();
            _snapshot = snapshot;
            _snapshotToInstall = snapshot;
        }

        Send(new RaftMessage { Type = MessageType.AppendResponse, To = m.From, Index = _log.Committed });
    }

    private void HandleHeartbeat(RaftMessage m)
    {
        // The leader sends min(match, commit), so this never commits an entry we do not share.
        _log.CommitTo(Math.Min(m.Commit, _log.LastIndex));
        Send(new RaftMessage { Type = MessageType.HeartbeatResponse, To = m.From, Context = m.Context, Index = m.Index });
    }
}
