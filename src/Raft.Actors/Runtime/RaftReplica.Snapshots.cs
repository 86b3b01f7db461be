using Microsoft.Extensions.Logging;
using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Snapshots;
using Raft.Actors.StateMachines;

namespace Raft.Actors.Runtime;

/// <summary>Taking, restoring and compacting behind snapshots.</summary>
public sealed partial class RaftReplica
{
    /// <summary>Resolution of the fraction by which the first snapshot comes early.</summary>
    private const int JitterScale = 1 << 16;

    // Callers waiting for the next snapshot to start, and those waiting for the one being written.
    private readonly List<TaskCompletionSource<SnapshotMetadata>> _snapshotRequests = [];
    private readonly List<TaskCompletionSource<SnapshotMetadata>> _snapshotWaiters = [];

    // When the next snapshot is due: at an applied index, or once the payload bytes applied since
    // the last capture reach a threshold (0 = not counted).
    private ulong _nextSnapshotAt;
    private ulong _snapshotBytesDue;
    private ulong _bytesSinceSnapshot;
    private Task? _snapshotWrite;
    private bool _snapshotting;

    /// <summary>
    /// Takes a snapshot of the state machine as of the applied index now, and completes once it
    /// is durable in <see cref="RaftReplicaOptions.SnapshotStore"/> and the log is compacted
    /// behind it (keeping <see cref="RaftReplicaOptions.CompactionMargin"/> entries). When a
    /// snapshot is already being written, the next one is taken after it. Returns the latest
    /// snapshot when nothing was applied since.
    /// </summary>
    /// <exception cref="InvalidOperationException">No snapshot store is configured, or nothing was applied yet.</exception>
    public async Task<SnapshotMetadata> SnapshotAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfFaulted();
        if (_options.SnapshotStore is null)
        {
            throw new InvalidOperationException($"Replica {NodeId} of group {Group} has no RaftReplicaOptions.SnapshotStore.");
        }

        var request = new SnapshotRequest(new TaskCompletionSource<SnapshotMetadata>(TaskCreationOptions.RunContinuationsAsynchronously));
        Post(request);
        return await request.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Restores the state machine and its client sessions from the newest snapshot in the store, if there is one.</summary>
    private async Task<SnapshotMetadata?> RestoreLatestSnapshotAsync(CancellationToken cancellationToken)
    {
        if (_options.SnapshotStore is not { } snapshots || await snapshots.GetLatestAsync(cancellationToken).ConfigureAwait(false) is not { } latest)
        {
            return null;
        }

        var reader = await snapshots.OpenReaderAsync(latest, cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            _sessions.Restore(reader);
            return reader.Header.Metadata;
        }
    }

    /// <summary>
    /// Installs a snapshot received from the leader (Ready.Snapshot): its data is already durable
    /// in the snapshot store, since the Snapshot message is stepped only then. The state machine
    /// is replaced and the log store compacted through it before the rest of the Ready persists.
    /// </summary>
    private async Task InstallSnapshotAsync(SnapshotMetadata snapshot)
    {
        var id = new SnapshotId(snapshot.Index, snapshot.Term);
        SnapshotInfo? found = null;
        if (_options.SnapshotStore is { } snapshots)
        {
            foreach (var info in await snapshots.ListAsync().ConfigureAwait(false))
            {
                if (info.Id == id)
                {
                    found = info;
                    break;
                }
            }
        }

        if (found is null)
        {
            // The core was told of a snapshot whose data this replica does not hold: applying
            // on would silently diverge from the group, so this is a fault.
            throw new InvalidOperationException($"Replica {NodeId} of group {Group} must install snapshot {id}, but its snapshot store does not hold it.");
        }

        var reader = await _options.SnapshotStore!.OpenReaderAsync(found).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            _sessions.Restore(reader);
        }

        // The core installs a snapshot only when its log lacks the snapshot's last entry (a log
        // that holds it just commits up to it) and has dropped its whole log. Given the snapshot's
        // term, the store does the same when its entry there has another term: the entries after
        // it came from another history, and a restart before the leader's next append must not
        // reload them.
        await _store.CompactAsync(snapshot.Index, snapshot.Term).ConfigureAwait(false);
        _nextSnapshotAt = snapshot.Index + _options.SnapshotEveryEntries;
        _snapshotBytesDue = SnapshotEveryBytes;
        _bytesSinceSnapshot = 0;
        LogSnapshotInstalled(NodeId, Group, snapshot.Index, snapshot.Term);
    }

    private ulong SnapshotEveryBytes => (ulong)(_options.SnapshotEveryBytes ?? 0);

    /// <summary>
    /// The first snapshot comes at a random point in the last quarter of the interval, so that
    /// groups started together (a node's restart) spread their snapshots. One draw moves both
    /// thresholds, entries and bytes, by the same fraction.
    /// </summary>
    private void ScheduleFirstSnapshot(SnapshotMetadata? latest)
    {
        var draw = (uint)_random.Next(JitterScale);
        _nextSnapshotAt = (latest?.Index ?? 0) + Early(_options.SnapshotEveryEntries, draw);
        _snapshotBytesDue = Early(SnapshotEveryBytes, draw);

        // Up to a quarter less than the interval: interval - interval / 4 * draw / scale.
        static ulong Early(ulong every, uint draw) => every - (ulong)((UInt128)(every / 4) * draw / JitterScale);
    }

    /// <summary>On the loop, for each applied entry: counts its payload toward <see cref="RaftReplicaOptions.SnapshotEveryBytes"/>.</summary>
    private void CountApplied(Entry entry)
    {
        if (_snapshotBytesDue > 0)
        {
            _bytesSinceSnapshot += (ulong)entry.Data.Length;
        }
    }

    private bool SnapshotDue(ulong applied) =>
        applied >= _nextSnapshotAt || (_snapshotBytesDue > 0 && _bytesSinceSnapshot >= _snapshotBytesDue);

    private void HandleSnapshotRequest(RaftNode node, SnapshotRequest request)
    {
        if (!_snapshotting && node.LatestSnapshot is { } latest && latest.Index == node.AppliedIndex)
        {
            request.Completion.TrySetResult(latest);
            return;
        }

        _snapshotRequests.Add(request.Completion);

        MaybeStartSnapshot(node);
    }

    /// <summary>
    /// Starts a snapshot when one is due (or asked for) and none is being written. The capture
    /// is taken here, on the loop, so it reflects exactly the applied index; the slow part
    /// (serializing, compressing, syncing) runs on the thread pool and reports back through the
    /// mailbox, so the loop never waits for it.
    /// </summary>
    private void MaybeStartSnapshot(RaftNode node)
    {
        if (_options.SnapshotStore is not { } snapshots || _snapshotting)
        {
            return;
        }

        var applied = node.AppliedIndex;
        var asked = _snapshotRequests.Count > 0;
        if (applied == 0 || (!asked && !SnapshotDue(applied)) || applied <= (node.LatestSnapshot?.Index ?? 0))
        {
            if (asked && applied == 0)
            {
                Complete(_snapshotRequests, null, new InvalidOperationException($"Replica {NodeId} of group {Group} has applied nothing to snapshot."));
            }
            else if (asked && node.LatestSnapshot is { } latest && applied <= latest.Index)
            {
                // The snapshot just written (or installed) already covers what these callers saw applied.
                Complete(_snapshotRequests, latest, null);
            }

            return;
        }

        var metadata = node.SnapshotMetadataAt(applied);
        var capture = _sessions.TakeSnapshot();
        _snapshotting = true;

        // The capture covers every byte applied so far; the next interval starts here.
        _bytesSinceSnapshot = 0;
        _snapshotBytesDue = SnapshotEveryBytes;
        _snapshotWaiters.AddRange(_snapshotRequests);
        _snapshotRequests.Clear();
        _snapshotWrite = Task.Run(() => WriteSnapshotAsync(snapshots, metadata, capture), CancellationToken.None);
    }

    private async Task WriteSnapshotAsync(ISnapshotStore snapshots, SnapshotMetadata metadata, IStateMachineSnapshot capture)
    {
        Exception? error = null;
        try
        {
            var pending = await snapshots.CreateAsync(metadata).ConfigureAwait(false);
            await using (pending.ConfigureAwait(false))
            {
                capture.WriteTo(pending.Content);
                await pending.PublishAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            error = ex;
        }
        finally
        {
            capture.Dispose();
        }

        // When the replica is stopping, nobody takes the report; StopAsync answers the callers.
        Post(new SnapshotWritten(metadata, error));
    }

    /// <summary>
    /// A snapshot is durable: the node may now send it to followers, and the log behind it,
    /// less the margin kept for slow followers, can go.
    /// </summary>
    private async Task OnSnapshotWrittenAsync(RaftNode node, SnapshotWritten written)
    {
        _snapshotting = false;
        var metadata = written.Metadata;
        if (written.Error is { } error)
        {
            // Not a fault: the log is intact, the snapshot is only late. Try again after another interval.
            LogSnapshotFailed(NodeId, Group, metadata.Index, error);
            _nextSnapshotAt = node.AppliedIndex + _options.SnapshotEveryEntries;
            _bytesSinceSnapshot = 0;
            Complete(_snapshotWaiters, null, error);
            return;
        }

        // A snapshot installed from the leader while this one was written may have overtaken it.
        if (node.LatestSnapshot is not { } latest || latest.Index < metadata.Index)
        {
            node.SnapshotTaken(metadata);
        }

        _nextSnapshotAt = metadata.Index + _options.SnapshotEveryEntries;
        var through = metadata.Index - Math.Min(metadata.Index, _options.CompactionMargin);
        if (through > node.Log.CompactedIndex && through > _store.CompactedIndex)
        {
            // The store drops its whole log when the term it is given differs from its own at that
            // index (a snapshot of another history). Here the log is this replica's own, applied
            // and durable: a disagreement is a bug, and compacting on it would lose the log.
            if (!node.Log.TryTerm(through, out var term) || (_store.TryGetTerm(through, out var stored) && stored != term))
            {
                throw new InvalidOperationException($"Replica {NodeId} of group {Group}: compacting through {through}, the core's term ({node.Log.TermOrZero(through)}) and the log store's disagree (log [{node.Log.FirstIndex}, {node.Log.LastIndex}], store [{_store.FirstIndex}, {_store.LastIndex}]).");
            }

            node.Compact(through);
            await _store.CompactAsync(through, term).ConfigureAwait(false);
        }

        LogSnapshotTaken(NodeId, Group, metadata.Index, metadata.Term, through);
        Complete(_snapshotWaiters, metadata, null);

        // Callers who asked while this one was written want a snapshot of what they saw applied.
        MaybeStartSnapshot(node);
    }

    private static void Complete(List<TaskCompletionSource<SnapshotMetadata>> requests, SnapshotMetadata? metadata, Exception? error)
    {
        foreach (var request in requests)
        {
            if (metadata is not null)
            {
                request.TrySetResult(metadata);
            }
            else
            {
                request.TrySetException(error!);
            }
        }

        requests.Clear();
    }

    /// <summary>After the loop stopped: waits for a snapshot still being written, then fails the callers nobody will answer.</summary>
    private async Task StopSnapshotsAsync(Exception error)
    {
        if (_snapshotWrite is { } write)
        {
            await write.ConfigureAwait(false);
        }

        Complete(_snapshotWaiters, null, error);
        Complete(_snapshotRequests, null, error);
    }

    private sealed record SnapshotRequest(TaskCompletionSource<SnapshotMetadata> Completion);

    private sealed record SnapshotWritten(SnapshotMetadata Metadata, Exception? Error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica {NodeId} of group {Group} took a snapshot at index {Index} term {Term}; log compacted through {Through}")]
    private partial void LogSnapshotTaken(ulong nodeId, ulong group, ulong index, ulong term, ulong through);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica {NodeId} of group {Group} installed the leader's snapshot at index {Index} term {Term}")]
    private partial void LogSnapshotInstalled(ulong nodeId, ulong group, ulong index, ulong term);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {NodeId} of group {Group} failed to write a snapshot at index {Index}; it will try again later")]
    private partial void LogSnapshotFailed(ulong nodeId, ulong group, ulong index, Exception exception);
}
