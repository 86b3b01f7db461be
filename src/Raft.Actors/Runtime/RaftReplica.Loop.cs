using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Storage;

namespace Raft.Actors.Runtime;

public sealed partial class RaftReplica
{
    /// <summary>
    /// One pass: steps everything in the mailbox, then carries out Ready after Ready until the
    /// node has nothing more, then publishes the view. Whatever arrives meanwhile waits for the
    /// next pass, so one write covers everything that arrived during the previous one.
    /// </summary>
    private async ValueTask RunPassAsync(RaftNode node)
    {
        var reader = _mailbox.Reader;
        if (_fault is not null)
        {
            // A faulted replica takes no further part; what still arrives is dropped.
            while (reader.TryRead(out _))
            {
            }

            return;
        }

        try
        {
            while (reader.TryRead(out var item))
            {
                if (item is SnapshotWritten written)
                {
                    // Compacting the store is a store write: it goes in order with the Ready writes.
                    await OnSnapshotWrittenAsync(node, written).ConfigureAwait(false);
                }
                else
                {
                    Handle(node, item);
                }
            }

            while (node.HasReady)
            {
                await HandleReadyAsync(node, node.GetReady()).ConfigureAwait(false);
            }

            Publish();
        }
        catch (Exception ex)
        {
            // Storage or the state machine failed. Skipping the entry or the write would make
            // this replica diverge from its peers, so it stops and says why (SOFAJRaft #1246).
            _fault = ex;
            _timer?.Dispose();
            LogFaulted(NodeId, Group, ex);
            FailAll(new RaftReplicaFaultedException($"Replica {NodeId} of group {Group} faulted: {ex.Message}", ex));
        }
    }

    private void Handle(RaftNode node, object item)
    {
        WakeUnlessQuiet(item);
        switch (item)
        {
            case RaftMessage { Type: MessageType.SnapshotChunk } chunk:
                OnSnapshotChunk(chunk);
                break;
            case RaftMessage { Type: MessageType.SnapshotChunkResponse } answer:
                OnSnapshotChunkResponse(answer);
                break;
            case RaftMessage message:
                node.Step(message);
                MaybeQuiesceFollower(node, message);
                break;
            case WakeSignal:
                break;
            case RepeatSnapshot repeat:
                OnRepeatSnapshot(node, repeat);
                break;
            case SnapshotTransferDone done:
                OnSnapshotTransferDone(node, done);
                break;
            case TickSignal:
                Volatile.Write(ref _tickQueued, 0);
                if (!_asleep)
                {
                    CatchUpTicks(node);
                    MaybeQuiesceLeader(node);
                }

                break;
            case ProposeRequest propose:
                var result = node.Propose(propose.Command, propose.Id.ClientId, propose.Id.Sequence);
                if (result.Status == ProposeStatus.Accepted)
                {
                    _proposals[result.Index] = (result.Term, propose.Completion);
                }
                else
                {
                    // Busy means a leadership transfer: the hint names the node about to lead.
                    propose.Completion.TrySetException(new NotLeaderException(Group, result.LeaderHint));
                }

                break;
            case ReadRequest read:
                if (_options.Node.LeaseReads && node.Role == RaftRole.Leader)
                {
                    // A lease is measured in ticks: count the ones a pause swallowed before trusting it.
                    CatchUpTicks(node);
                }

                var readId = ++_nextReadId;
                if (node.ReadIndex(readId))
                {
                    _reads[readId] = (read, node.Leader);
                }
                else
                {
                    read.Completion.TrySetException(new NotLeaderException(Group, node.Leader));
                }

                break;
            case SnapshotRequest snapshot:
                HandleSnapshotRequest(node, snapshot);
                break;
            case StatusRequest status:
                status.Completion.TrySetResult(node.GetStatus());
                break;
            case ConfChangeRequest change:
                HandleConfChange(node, change);
                break;
            case TransferRequest transfer:
                HandleTransfer(node, transfer);
                break;
            case ResetRequest reset:
                HandleReset(node, reset);
                break;
        }
    }

    /// <summary>Carries out a Ready in the order its contract demands.</summary>
    private async Task HandleReadyAsync(RaftNode node, Ready ready)
    {
        if (ready.Refusal is { } refused)
        {
            throw new NodeRefusedException(refused.NodeId, refused.RefusedBy, refused.RecordedDiskId, refused.DiskId, refused.ToString());
        }

        if (ready.MessagesNow.Count > 0)
        {
            SendNow(ready.MessagesNow);
        }

        if (ready.Snapshot is { } snapshot)
        {
            await InstallSnapshotAsync(snapshot).ConfigureAwait(false);
        }

        if (ready.MustPersist)
        {
            await ResumeOnHost(_store.AppendAsync(new LogBatch(ready.EntriesToPersist, ready.HardState)));
        }

        if (ready.MessagesAfterPersist.Count > 0)
        {
            _transport.Send(ready.MessagesAfterPersist);
        }

        foreach (var entry in ready.CommittedEntries)
        {
            var result = _sessions.Apply(entry);
            CountApplied(entry);
            if (_proposals.Remove(entry.Index, out var waiter))
            {
                if (waiter.Term == entry.Term)
                {
                    waiter.Completion.TrySetResult(result);
                }
                else
                {
                    waiter.Completion.TrySetException(new CommandDroppedException($"Group {Group}: entry {entry.Index} was taken by term {entry.Term}; the proposal of term {waiter.Term} will never commit."));
                }
            }
        }

        foreach (var read in ready.ReadStates)
        {
            if (_reads.Remove(read.RequestId, out var pending))
            {
                _readyReads.Add((read.Index, pending.Request));
            }
        }

        node.Advance(ready);
        StopTransfersUnlessLeader(node);
        MaybeStartSnapshot(node);
        ServeReads(node);
        FailReadsAskedOfAnotherLeader(node.Leader);
    }

    /// <summary>Reads asked of a leader that is no longer the leader will not be answered: fail them so the caller retries.</summary>
    private void FailReadsAskedOfAnotherLeader(ulong leader)
    {
        List<ulong>? stale = null;
        foreach (var (id, pending) in _reads)
        {
            if (pending.AskedLeader != leader)
            {
                (stale ??= []).Add(id);
            }
        }

        foreach (var id in stale ?? [])
        {
            _reads.Remove(id, out var pending);
            pending.Request.Completion.TrySetException(new NotLeaderException(Group, leader));
        }
    }

    private void ServeReads(RaftNode node)
    {
        for (var i = _readyReads.Count - 1; i >= 0; i--)
        {
            var (index, request) = _readyReads[i];
            if (index <= node.AppliedIndex)
            {
                _readyReads.RemoveAt(i);
                request.Completion.TrySetResult(_stateMachine.Query(request.Query));
            }
        }
    }

    private void FailAll(Exception error)
    {
        foreach (var (_, completion) in _proposals.Values)
        {
            completion.TrySetException(error);
        }

        _proposals.Clear();
        foreach (var (request, _) in _reads.Values)
        {
            request.Completion.TrySetException(error);
        }

        _reads.Clear();
        foreach (var (_, request) in _readyReads)
        {
            request.Completion.TrySetException(error);
        }

        _readyReads.Clear();
    }
}
