using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Snapshots;

namespace Raft.Actors.Runtime;

/// <summary>
/// The out-of-band snapshot transfer. The core only says "send snapshot S to F" (a Snapshot
/// message in a Ready); the leader streams S's stored frames to F as SnapshotChunk messages and
/// F keeps them durably in its snapshot store, and only once F holds all of S does F step the
/// Snapshot message into its core. Both sides run on the thread pool and talk to their loops
/// through the mailbox.
/// </summary>
/// <remarks>
/// Parts of a transfer are numbered like the receiver's chunks: part n &lt; chunk count is chunk
/// frame n (part 0 also carries the header), the part after the last chunk is the trailer. A
/// follower answers every part with how many parts it holds durably, so a follower that crashed
/// mid-transfer, or lost a part, makes the leader resume from there rather than from zero.
/// </remarks>
public sealed partial class RaftReplica
{
    /// <summary>Parts sent without an answer before the leader waits.</summary>
    internal const int SnapshotWindow = 4;

    /// <summary>Consecutive silent waits after which the leader gives the transfer up and tells its core.</summary>
    internal const int SnapshotMaxTimeouts = 3;

    private readonly Dictionary<ulong, SnapshotTransfer> _transfers = [];
    private readonly SnapshotThrottle? _snapshotThrottle;
    private SnapshotIntake? _intake;
    private int _transfersStarted;
    private int _transfersSucceeded;

    /// <summary>Transfers this replica started as a leader (a resent Snapshot joins a running one instead).</summary>
    internal int SnapshotTransfersStarted => Volatile.Read(ref _transfersStarted);

    /// <summary>Transfers that ended with the follower holding the whole snapshot.</summary>
    internal int SnapshotTransfersSucceeded => Volatile.Read(ref _transfersSucceeded);

    /// <summary>Test hook: called (on a transfer task) for every part carrying data this replica sends, with the follower and the part number.</summary>
    internal Action<ulong, long>? SnapshotPartSent { get; set; }

    private TimeSpan SnapshotPartTimeout => _options.SnapshotPartTimeout;

    /// <summary>Test seam: the loop acts as if its core sent the Snapshot message to <paramref name="follower"/> again.</summary>
    internal void RepeatSnapshotMessage(ulong follower) => Post(new RepeatSnapshot(follower));

    private void OnRepeatSnapshot(RaftNode node, RepeatSnapshot repeat)
    {
        if (node.Role == RaftRole.Leader && node.LatestSnapshot is { } snapshot)
        {
            StartOrJoinTransfer(new RaftMessage { Type = MessageType.Snapshot, Group = Group, From = NodeId, To = repeat.Follower, Term = node.Term, Snapshot = snapshot });
        }
    }

    /// <summary>Sends the messages of a Ready, turning each Snapshot message into a transfer (or joining the running one).</summary>
    private void SendNow(IReadOnlyList<RaftMessage> messages)
    {
        List<RaftMessage>? others = null;
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (message.Type != MessageType.Snapshot)
            {
                others?.Add(message);
                continue;
            }

            if (others is null)
            {
                others = new List<RaftMessage>(messages.Count);
                for (var j = 0; j < i; j++)
                {
                    others.Add(messages[j]);
                }
            }

            StartOrJoinTransfer(message);
        }

        var send = others ?? messages;
        if (send.Count > 0)
        {
            _transport.Send(send);
        }
    }

    /// <summary>
    /// Starts sending a snapshot to a follower, or joins the transfer of the same snapshot to it
    /// that is already running: the core resends Snapshot when it hears nothing for a while, and
    /// starting over each time would never finish a large snapshot (SOFAJRaft #605).
    /// </summary>
    private void StartOrJoinTransfer(RaftMessage message)
    {
        var id = new SnapshotId(message.Snapshot!.Index, message.Snapshot.Term);
        if (_transfers.TryGetValue(message.To, out var running))
        {
            if (running.Id == id && running.Term == message.Term)
            {
                LogTransferJoined(NodeId, Group, message.To, id.Index);
                return;
            }

            running.Cancel();
        }

        if (_options.SnapshotStore is not { } snapshots)
        {
            // The core holds a snapshot only when this runtime stored one; without a store there is none.
            throw new InvalidOperationException($"Replica {NodeId} of group {Group} was asked to send snapshot {id} but has no snapshot store.");
        }

        Interlocked.Increment(ref _transfersStarted);
        var transfer = new SnapshotTransfer(message.To, id, message.Term, message.Snapshot);
        _transfers[message.To] = transfer;
        transfer.Run = Task.Run(() => SendSnapshotAsync(snapshots, transfer, message), CancellationToken.None);
    }

    private async Task SendSnapshotAsync(ISnapshotStore snapshots, SnapshotTransfer transfer, RaftMessage snapshotMessage)
    {
        var succeeded = false;
        try
        {
            succeeded = await StreamSnapshotAsync(snapshots, transfer, snapshotMessage, transfer.Cancellation.Token).ConfigureAwait(false);
            if (succeeded)
            {
                Interlocked.Increment(ref _transfersSucceeded);
            }
        }
        catch (OperationCanceledException) when (transfer.Cancellation.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogTransferFailed(NodeId, Group, transfer.To, transfer.Id.Index, ex);
        }

        Post(new SnapshotTransferDone(transfer, succeeded));
    }

    private async Task<bool> StreamSnapshotAsync(ISnapshotStore snapshots, SnapshotTransfer transfer, RaftMessage snapshotMessage, CancellationToken cancellationToken)
    {
        SnapshotInfo? info = null;
        foreach (var candidate in await snapshots.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (candidate.Id == transfer.Id)
            {
                info = candidate;
                break;
            }
        }

        if (info is null)
        {
            // Replaced by a newer one since the core chose it; the core sends the newer one on retry.
            return false;
        }

        var template = new RaftMessage
        {
            Type = MessageType.SnapshotChunk,
            Group = Group,
            From = NodeId,
            To = transfer.To,
            Term = transfer.Term,
            Snapshot = snapshotMessage.Snapshot,
        };

        // Probe first: the follower's answer says where to start (zero, or where a crash left it).
        _transport.Send([template]);
        SnapshotFrameReader? reader = null;
        try
        {
            long acknowledged = -1;
            long next = 0;
            long trailer = -1;
            var timeouts = 0;

            // One read stays outstanding across timeouts, so an answer arriving late is not lost to an abandoned read.
            Task<long>? answer = null;
            while (true)
            {
                if (acknowledged >= 0)
                {
                    while (next - acknowledged < SnapshotWindow && (trailer < 0 || next <= trailer))
                    {
                        if (reader is null || reader.NextChunk != next || reader.IsAtEnd)
                        {
                            if (reader is not null)
                            {
                                await reader.DisposeAsync().ConfigureAwait(false);
                            }

                            reader = await snapshots.OpenFramesAsync(info, cancellationToken).ConfigureAwait(false);
                            try
                            {
                                await reader.SkipChunksAsync(next, cancellationToken).ConfigureAwait(false);
                            }
                            catch (ArgumentOutOfRangeException) when (acknowledged == next && next == reader.NextChunk + 1)
                            {
                                // The follower holds every chunk and the trailer (an earlier transfer finished): done.
                                return true;
                            }
                        }

                        var frame = await reader.ReadFrameAsync(cancellationToken).ConfigureAwait(false);
                        var payload = next == 0 ? Concat(reader.HeaderBytes.Span, frame.Span) : frame.ToArray();
                        if (reader.IsAtEnd)
                        {
                            trailer = next;
                        }

                        if (_snapshotThrottle is { } throttle)
                        {
                            // On this transfer's task: the loop, and the other transfers' turns, go on.
                            await throttle.WaitAsync(payload.Length, cancellationToken).ConfigureAwait(false);
                        }

                        SnapshotPartSent?.Invoke(transfer.To, next);

                        _transport.Send([template with { Index = (ulong)next, Context = payload }]);
                        next++;
                    }
                }

                long held;
                try
                {
                    answer ??= transfer.Answers.Reader.ReadAsync(cancellationToken).AsTask();
                    held = await answer.WaitAsync(SnapshotPartTimeout, _time, cancellationToken).ConfigureAwait(false);
                    answer = null;
                }
                catch (TimeoutException)
                {
                    if (++timeouts >= SnapshotMaxTimeouts)
                    {
                        LogTransferTimedOut(NodeId, Group, transfer.To, transfer.Id.Index, acknowledged);
                        return false;
                    }

                    // Nothing heard: parts or answers were lost. Resend from what the follower last said it holds.
                    if (acknowledged < 0)
                    {
                        _transport.Send([template]);
                    }
                    else
                    {
                        next = acknowledged;
                    }

                    continue;
                }

                timeouts = 0;
                if (trailer >= 0 && held > trailer)
                {
                    return true;
                }

                if (held > acknowledged)
                {
                    acknowledged = held;
                    next = Math.Max(next, held);
                }
                else if (held == acknowledged && next > held)
                {
                    // A part after `held` arrived but `held` itself did not: resend from the gap.
                    // Later answers in the same window repeat `held`; resend once per gap, not per answer.
                    if (transfer.ResentFrom != held)
                    {
                        transfer.ResentFrom = held;
                        next = held;
                    }
                }
            }
        }
        finally
        {
            if (reader is not null)
            {
                await reader.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static byte[] Concat(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        var bytes = new byte[first.Length + second.Length];
        first.CopyTo(bytes);
        second.CopyTo(bytes.AsSpan(first.Length));
        return bytes;
    }

    /// <summary>On the loop: a follower's answer goes to the transfer it belongs to.</summary>
    private void OnSnapshotChunkResponse(RaftMessage message)
    {
        if (_transfers.TryGetValue(message.From, out var transfer) && message.Snapshot is { } meta &&
            transfer.Id == new SnapshotId(meta.Index, meta.Term))
        {
            transfer.Answers.Writer.TryWrite((long)message.Index);
        }
    }

    /// <summary>On the loop: a transfer ended; the core hears how it went (on failure it probes and retries later).</summary>
    private void OnSnapshotTransferDone(RaftNode node, SnapshotTransferDone done)
    {
        if (_transfers.TryGetValue(done.Transfer.To, out var current) && ReferenceEquals(current, done.Transfer))
        {
            _transfers.Remove(done.Transfer.To);
            node.ReportSnapshot(done.Transfer.To, done.Succeeded);
        }

        done.Transfer.Cancellation.Dispose();
    }

    /// <summary>On the loop, after each Ready: a replica that is no longer leader stops sending snapshots (a follower would drop them for their stale term anyway).</summary>
    private void StopTransfersUnlessLeader(RaftNode node)
    {
        if (_transfers.Count == 0 || node.Role == RaftRole.Leader)
        {
            return;
        }

        foreach (var transfer in _transfers.Values)
        {
            transfer.Cancel();
        }

        _transfers.Clear();
    }

    /// <summary>
    /// On the loop: a part from the leader. Parts of one snapshot go, in order, to one intake task
    /// that keeps the incoming snapshot open across parts; a part of a newer snapshot replaces it.
    /// </summary>
    private void OnSnapshotChunk(RaftMessage message)
    {
        if (_options.SnapshotStore is not { } snapshots || message.Snapshot is not { } meta)
        {
            LogChunkIgnored(NodeId, Group, message.From);
            return;
        }

        var id = new SnapshotId(meta.Index, meta.Term);
        if (_intake is { } intake && intake.Id == id && intake.Parts.Writer.TryWrite(message))
        {
            return;
        }

        var previous = _intake?.Run ?? Task.CompletedTask;
        _intake?.Parts.Writer.TryComplete();
        var next = new SnapshotIntake(id);
        next.Parts.Writer.TryWrite(message);
        next.Run = Task.Run(() => ReceiveSnapshotAsync(snapshots, next, previous), CancellationToken.None);
        _intake = next;
    }

    private async Task ReceiveSnapshotAsync(ISnapshotStore snapshots, SnapshotIntake intake, Task previous)
    {
        // The previous intake must close its incoming snapshot first: only one may be open per id.
        await previous.ConfigureAwait(false);
        IncomingSnapshot? incoming = null;
        try
        {
            incoming = await snapshots.OpenIncomingAsync(intake.Id).ConfigureAwait(false);
            await foreach (var part in intake.Parts.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                var receiver = incoming.Receiver;
                var held = Held(receiver);
                var reject = false;
                if (!part.Context.IsEmpty && (long)part.Index == held && !receiver.IsComplete)
                {
                    if (held == 0 && receiver.Length > 0)
                    {
                        // Only the header survived; part 0 carries it again, so start clean.
                        await incoming.DisposeAsync().ConfigureAwait(false);
                        await snapshots.DeleteIncomingAsync(intake.Id).ConfigureAwait(false);
                        incoming = await snapshots.OpenIncomingAsync(intake.Id).ConfigureAwait(false);
                        receiver = incoming.Receiver;
                    }

                    try
                    {
                        await receiver.AppendAsync(part.Context).ConfigureAwait(false);
                    }
                    catch (SnapshotCorruptedException ex)
                    {
                        // Bad input from the network (or a prefix of another encoding): start over.
                        LogChunkRejected(NodeId, Group, part.From, intake.Id.Index, ex);
                        await incoming.DisposeAsync().ConfigureAwait(false);
                        await snapshots.DeleteIncomingAsync(intake.Id).ConfigureAwait(false);
                        incoming = await snapshots.OpenIncomingAsync(intake.Id).ConfigureAwait(false);
                        receiver = incoming.Receiver;
                        reject = true;
                    }

                    await receiver.FlushAsync().ConfigureAwait(false);
                    if (receiver.IsComplete)
                    {
                        await incoming.PublishAsync().ConfigureAwait(false);
                    }

                    held = Held(receiver);
                }

                if (receiver.IsComplete)
                {
                    // Durable and listed: now the core may install it (it asks through Ready.Snapshot).
                    // Stepped again for every later part too: if the core dropped the first one (a term
                    // changed), a leader retrying the same snapshot must not find a follower that
                    // answers "complete" forever without installing it.
                    Post(new RaftMessage
                    {
                        Type = MessageType.Snapshot,
                        Group = Group,
                        From = part.From,
                        To = NodeId,
                        Term = part.Term,
                        Snapshot = part.Snapshot,
                    });
                }

                _transport.Send([new RaftMessage
                {
                    Type = MessageType.SnapshotChunkResponse,
                    Group = Group,
                    From = NodeId,
                    To = part.From,
                    Term = part.Term,
                    Index = (ulong)held,
                    Reject = reject,
                    Snapshot = part.Snapshot,
                }]);
            }
        }
        catch (Exception ex)
        {
            // The leader times out and tries again; a partial file stays for the resume.
            LogIntakeFailed(NodeId, Group, intake.Id.Index, ex);
            intake.Parts.Writer.TryComplete();
        }
        finally
        {
            if (incoming is not null)
            {
                await incoming.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Parts a receiver holds: its chunks, plus one for the trailer once complete.</summary>
    private static long Held(SnapshotReceiver receiver) => receiver.NextChunk + (receiver.IsComplete ? 1 : 0);

    /// <summary>After the loop stopped: ends transfers in both directions.</summary>
    private async Task StopTransfersAsync()
    {
        foreach (var transfer in _transfers.Values)
        {
            transfer.Cancel();
            if (transfer.Run is { } run)
            {
                await run.ConfigureAwait(false);
            }
        }

        _transfers.Clear();
        if (_intake is { } intake)
        {
            intake.Parts.Writer.TryComplete();
            if (intake.Run is { } run)
            {
                await run.ConfigureAwait(false);
            }
        }
    }

    private sealed class SnapshotTransfer(ulong to, SnapshotId id, ulong term, SnapshotMetadata metadata)
    {
        public ulong To { get; } = to;

        public SnapshotId Id { get; } = id;

        public ulong Term { get; } = term;

        public SnapshotMetadata Metadata { get; } = metadata;

        public CancellationTokenSource Cancellation { get; } = new();

        public Channel<long> Answers { get; } = Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

        public long ResentFrom { get; set; } = -1;

        public Task? Run { get; set; }

        public void Cancel() => Cancellation.Cancel();
    }

    private sealed class SnapshotIntake(SnapshotId id)
    {
        public SnapshotId Id { get; } = id;

        public Channel<RaftMessage> Parts { get; } = Channel.CreateUnbounded<RaftMessage>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

        public Task? Run { get; set; }
    }

    private sealed record RepeatSnapshot(ulong Follower);

    private sealed record SnapshotTransferDone(SnapshotTransfer Transfer, bool Succeeded);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Replica {NodeId} of group {Group}: snapshot {Index} to {Follower} is already being sent; joined it")]
    private partial void LogTransferJoined(ulong nodeId, ulong group, ulong follower, ulong index);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {NodeId} of group {Group}: sending snapshot {Index} to {Follower} failed")]
    private partial void LogTransferFailed(ulong nodeId, ulong group, ulong follower, ulong index, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {NodeId} of group {Group}: follower {Follower} stopped answering snapshot {Index} after {Held} parts")]
    private partial void LogTransferTimedOut(ulong nodeId, ulong group, ulong follower, ulong index, long held);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {NodeId} of group {Group}: ignored a snapshot part from {Leader} (no snapshot store)")]
    private partial void LogChunkIgnored(ulong nodeId, ulong group, ulong leader);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {NodeId} of group {Group}: a part of snapshot {Index} from {Leader} did not check out; starting the transfer over")]
    private partial void LogChunkRejected(ulong nodeId, ulong group, ulong leader, ulong index, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {NodeId} of group {Group}: receiving snapshot {Index} failed; the leader will retry")]
    private partial void LogIntakeFailed(ulong nodeId, ulong group, ulong index, Exception exception);
}
