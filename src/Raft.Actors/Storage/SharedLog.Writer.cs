using Raft.Actors.Protocol;

namespace Raft.Actors.Storage;

public sealed partial class SharedLog
{
    /// <summary>At most this many bytes go in one coalesced write (a larger single append goes alone).</summary>
    private const int MaxWriteBytes = 4 << 20;

    private readonly Lock _queueGate = new();
    private List<Request> _queue = [];
    private bool _writing;
    private bool _disposed;
    private TaskCompletionSource? _writerIdle;

    private enum RequestKind
    {
        Append,
        Compact,

        /// <summary>Rewrite a group's live records into the current segment (no caller waits).</summary>
        Relocate,

        /// <summary>Forget the group (<see cref="DropGroupAsync"/>).</summary>
        Drop,
    }

    /// <summary>Closes the segment files and releases the directory lock once the writes already queued are done.</summary>
    public async ValueTask DisposeAsync()
    {
        Task idle;
        lock (_queueGate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _writerIdle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_writing)
            {
                _writerIdle.SetResult();
            }

            idle = _writerIdle.Task;
        }

        await idle.ConfigureAwait(false);
        lock (_gate)
        {
            _groups.Clear();
        }

        await _chain.DisposeAsync().ConfigureAwait(false);
    }

    private ValueTask AppendAsync(GroupState group, LogBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        cancellationToken.ThrowIfCancellationRequested();
        _chain.ThrowIfFaulted();
        var entries = batch.Entries;
        if (entries.Count == 0 && batch.HardState is null)
        {
            return ValueTask.CompletedTask;
        }

        lock (_gate)
        {
            LogBatchValidation.Validate(entries, group.Index.CompactedIndex, group.Index.LastIndex);
        }

        long size = s_groupRecordSize + (batch.HardState is null ? 0 : s_hardStateRecordSize);
        for (var i = 0; i < entries.Count; i++)
        {
            size += RecordFormat.EntryRecordSize(entries[i]);
        }

        if (size + SegmentChain.SegmentHeaderRecordSize > FileLogStore.MaxBatchBytes)
        {
            throw new ArgumentException($"Batch of {entries.Count} entries encodes to {size} bytes; at most {FileLogStore.MaxBatchBytes} bytes go in one append.", nameof(batch));
        }

        return SubmitAsync(new Request(RequestKind.Append, group, entries, batch.HardState, (int)size));
    }

    private ValueTask CompactAsync(GroupState group, ulong throughIndex, ulong throughTerm, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _chain.ThrowIfFaulted();
        lock (_gate)
        {
            if (throughIndex <= group.Index.CompactedIndex)
            {
                return ValueTask.CompletedTask;
            }
        }

        return SubmitAsync(new Request(RequestKind.Compact, group, [], null, s_groupRecordSize + s_compactionRecordSize) { Index = throughIndex, Term = throughTerm });
    }

    /// <summary>
    /// Queues a request; the caller that finds the writer idle becomes the writer and writes
    /// on its own thread until its request is durable (so a lone group pays no hand-off).
    /// </summary>
    private async ValueTask SubmitAsync(Request request)
    {
        bool write;
        lock (_queueGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _queue.Add(request);
            write = !_writing;
            _writing = true;
        }

        if (write)
        {
            await WriteLoopAsync(request).ConfigureAwait(false);
        }

        await request.Done!.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Writes whatever is queued, one coalesced write at a time, until the queue is empty, or,
    /// when <paramref name="own"/> is given, until it is done: then a thread-pool thread takes
    /// over the rest, so the caller does not wait for appends that came after its own.
    /// </summary>
    private async Task WriteLoopAsync(Request? own)
    {
        while (true)
        {
            List<Request> taken;
            lock (_queueGate)
            {
                if (_queue.Count == 0)
                {
                    _writing = false;
                    _writerIdle?.TrySetResult();
                    return;
                }

                if (own is not null && own.Done!.Task.IsCompleted)
                {
                    _ = Task.Run(() => WriteLoopAsync(null));
                    return;
                }

                taken = _queue;
                _queue = [];
            }

            if (BeforeWrite is { } hook)
            {
                await hook().ConfigureAwait(false);
            }

            var start = 0;
            while (start < taken.Count)
            {
                // Requests in arrival order, as many as fit in one write (at least one).
                var end = start + 1;
                long size = taken[start].Size;
                while (end < taken.Count && size + taken[end].Size <= MaxWriteBytes)
                {
                    size += taken[end++].Size;
                }

                var requests = start == 0 && end == taken.Count ? taken : taken.GetRange(start, end - start);
                await WriteAndCompleteAsync(requests, (int)size).ConfigureAwait(false);
                start = end;
            }
        }
    }

    /// <summary>Writes the requests with one write and one sync, applies them to the groups' indexes and completes them.</summary>
    private async ValueTask WriteAndCompleteAsync(List<Request> requests, int size)
    {
        var rolledOver = false;
        bool compacted;
        try
        {
            _chain.ThrowIfFaulted();
            if (_chain.NeedsNewSegment(size))
            {
                await _chain.RollOverAsync().ConfigureAwait(false);
                rolledOver = true;
            }

            compacted = Write(requests, size);
        }
        catch (Exception ex)
        {
            foreach (var request in requests)
            {
                request.Done?.TrySetException(ex);
            }

            return;
        }

        foreach (var request in requests)
        {
            request.Done?.TrySetResult();
        }

        try
        {
            if (rolledOver || compacted)
            {
                Reclaim();
            }

            if (rolledOver)
            {
                await RelocateAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            // Nothing acknowledged depends on it; a failed write here faults the log, so the
            // next append reports it, and space is reclaimed at the next rollover.
            FileLogStoreLog.ReclaimFailed(_chain.Options.Logger, Directory, ex);
        }
    }

    /// <summary>One write + sync of <paramref name="requests"/>, then their effect on the indexes. True when one was a compaction or a drop.</summary>
    private bool Write(List<Request> requests, int size)
    {
        foreach (var request in requests)
        {
            if (request.Kind == RequestKind.Compact)
            {
                // Only the writer changes an index, so deciding outside the lock is safe.
                request.Reset = request.Group.Index.TryGetTerm(request.Index, out var term) && term != request.Term;
            }
        }

        var (segment, start) = _chain.Write(size, default, (span, batch) => Encode(span, batch, requests));
        Interlocked.Increment(ref _syncs);
        var compacted = false;
        lock (_gate)
        {
            foreach (var request in requests)
            {
                var group = request.Group;
                if (request.Kind == RequestKind.Drop)
                {
                    _groups.Remove(group.Id);
                    compacted = true;
                    continue;
                }

                var offset = start + request.EntriesOffset;
                if (request.Kind == RequestKind.Compact || (request.Kind == RequestKind.Relocate && request.Index > 0))
                {
                    if (request.Reset)
                    {
                        group.Index.Replace(request.Index, request.Term);
                    }
                    else
                    {
                        group.Index.Compact(request.Index, request.Term);
                    }

                    group.CompactionSegment = segment;
                    compacted = true;
                }

                var entries = request.Entries;
                if (entries.Count > 0 && entries[0].Index <= group.Index.LastIndex)
                {
                    group.Index.TruncateFrom(entries[0].Index);
                }

                for (var i = 0; i < entries.Count; i++)
                {
                    var length = RecordFormat.EntryRecordSize(entries[i]);
                    group.Index.Append(segment, entries[i].Index, entries[i].Term, new RecordLocation((int)offset, length));
                    offset += length;
                }

                if (request.HardState is { } hardState)
                {
                    group.HardState = hardState;
                    group.StateSegment = segment;
                }
            }
        }

        return compacted;
    }

    /// <summary>Encodes every request (group record, then its records); the last record of the last request ends the batch.</summary>
    private static int Encode(Span<byte> span, uint batch, List<Request> requests)
    {
        var position = 0;
        for (var r = 0; r < requests.Count; r++)
        {
            var request = requests[r];
            var last = r == requests.Count - 1;
            var entries = request.Entries;
            var hardState = request.HardState;
            position += RecordFormat.WriteGroup(span[position..], request.Group.Id, batch, batchEnd: false);
            if (request.Kind == RequestKind.Drop)
            {
                position += RecordFormat.WriteDrop(span[position..], batch, batchEnd: last);
                continue;
            }

            if (request.Kind == RequestKind.Compact || (request.Kind == RequestKind.Relocate && request.Index > 0))
            {
                var end = last && entries.Count == 0 && hardState is null;
                position += request.Reset
                    ? RecordFormat.WriteReset(span[position..], request.Index, request.Term, batch, end)
                    : RecordFormat.WriteCompaction(span[position..], request.Index, request.Term, batch, end);
            }

            request.EntriesOffset = position;
            for (var i = 0; i < entries.Count; i++)
            {
                position += RecordFormat.WriteEntry(span[position..], entries[i], batch, batchEnd: last && hardState is null && i == entries.Count - 1);
            }

            if (hardState is { } hs)
            {
                position += RecordFormat.WriteHardState(span[position..], hs, batch, batchEnd: last);
            }
        }

        return position;
    }

    /// <summary>Deletes, oldest first, the segments no group needs a record of.</summary>
    private void Reclaim()
    {
        List<LogSegment> deleted;
        lock (_gate)
        {
            var pin = ulong.MaxValue;
            foreach (var group in _groups.Values)
            {
                pin = Math.Min(pin, group.Pin);
            }

            deleted = _chain.DetachOldest(segment => segment.Sequence < pin);
        }

        foreach (var segment in deleted)
        {
            _chain.Delete(segment);
            FileLogStoreLog.SharedSegmentDeleted(_chain.Options.Logger, segment.Path);
        }
    }

    /// <summary>
    /// When more than two segments are in use, rewrites into the current segment the live
    /// records of the groups that pin the oldest one and hold little (see the class remarks),
    /// then deletes what that frees.
    /// </summary>
    private async ValueTask RelocateAsync()
    {
        List<Request> relocations = [];
        long size = 0;
        var limit = _chain.Options.SegmentSize / 16;
        lock (_gate)
        {
            if (_chain.Segments.Count <= 2)
            {
                return;
            }

            var oldest = _chain.Segments[0].Sequence;
            foreach (var group in _groups.Values)
            {
                if (group.Pin != oldest || group.Index.LiveBytes > limit || size > MaxWriteBytes)
                {
                    continue;
                }

                var index = group.Index;
                var entries = index.LastIndex > index.CompactedIndex ? LogIndex.Read(index.Slice(index.CompactedIndex + 1, index.LastIndex + 1)) : [];
                var request = new Request(RequestKind.Relocate, group, entries, group.StateSegment is null ? null : group.HardState, 0)
                {
                    Index = group.CompactionSegment is null ? 0 : index.CompactedIndex,
                    Term = index.CompactedTerm,
                };
                request.Size = s_groupRecordSize + (request.Index > 0 ? s_compactionRecordSize : 0) + (request.HardState is null ? 0 : s_hardStateRecordSize);
                foreach (var entry in entries)
                {
                    request.Size += RecordFormat.EntryRecordSize(entry);
                }

                relocations.Add(request);
                size += request.Size;
            }
        }

        if (relocations.Count == 0)
        {
            return;
        }

        if (_chain.NeedsNewSegment(size))
        {
            await _chain.RollOverAsync().ConfigureAwait(false);
        }

        Write(relocations, (int)size);
        FileLogStoreLog.GroupsRelocated(_chain.Options.Logger, Directory, relocations.Count, size);
        Reclaim();
    }

    /// <summary>One group's append, compaction, relocation or drop waiting for (or in) a write.</summary>
    private sealed class Request(RequestKind kind, GroupState group, IReadOnlyList<Entry> entries, HardState? hardState, int size)
    {
        public RequestKind Kind { get; } = kind;

        public GroupState Group { get; } = group;

        public IReadOnlyList<Entry> Entries { get; } = entries;

        public HardState? HardState { get; } = hardState;

        /// <summary>Encoded bytes, group record included.</summary>
        public int Size { get; set; } = size;

        /// <summary>Compaction point written (compaction, relocation; 0 for none).</summary>
        public ulong Index { get; init; }

        public ulong Term { get; init; }

        /// <summary>The compaction is a log reset (the log holds the index with another term).</summary>
        public bool Reset { get; set; }

        /// <summary>Where the first entry record lies, relative to the first record of the write.</summary>
        public int EntriesOffset { get; set; }

        /// <summary>
        /// Completed once durable; null for relocations, which no caller waits for. Continuations
        /// run on the writer's thread, outside its locks: a host's replica only queues the rest of
        /// its pass for its workers there, so a write that completes a thousand groups' appends costs
        /// no thousand thread hand-offs. A caller with more to do after its append should not do it
        /// on that thread for long: the next write waits for it.
        /// </summary>
        public TaskCompletionSource? Done { get; } = kind == RequestKind.Relocate ? null : new(TaskCreationOptions.None);
    }
}
