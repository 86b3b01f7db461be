using System.Diagnostics;
using Raft.Actors.Protocol;

namespace Raft.Actors.Storage;

/// <summary>
/// One write-ahead log for every group of a node: one directory of segment files (the format
/// of <see cref="FileLogStore"/>, each group's records introduced by a group record), one
/// writer, and an <see cref="ILogStore"/> view per group (<see cref="OpenGroup"/>). Appends and
/// compactions that different groups issue while a write is in flight are coalesced into the
/// next write: one <c>pwrite</c> and one <c>fdatasync</c> make all of them durable.
/// </summary>
/// <remarks>
/// <para><b>Contract.</b> Each group's view keeps the whole <see cref="ILogStore"/> contract
/// (crash, truncation, compaction and log reset, damage) independently of the other groups. A
/// coalesced write is one batch on disk: after a crash either all of the appends it carried
/// are there or none is, and none of them was acknowledged before its sync.</para>
/// <para><b>Memory.</b> Per group: its hard state, compaction point, one term run per term
/// change and 8 bytes per retained entry (where its record lies). Entries are not cached:
/// <see cref="ILogStore.ReadAsync"/> and <see cref="ILogStore.LoadAsync"/> read the files (the
/// replica keeps its uncompacted log in memory and reads the store only when it starts).</para>
/// <para><b>Space.</b> A segment is deleted once no group needs a record in it: every group's
/// entries in it are compacted or replaced, and its latest hard state and compaction records
/// are in later segments. When a segment rolls over and more than two are in use, the groups
/// that pin the oldest one and hold little (at most <see cref="FileLogStoreOptions.SegmentSize"/>
/// / 16 bytes of entries) have their live records rewritten into the current segment, so a
/// group that went idle does not keep old segments alive. A group holding more than that pins
/// its segments until it compacts; <see cref="OldestSegmentPinnedBy"/> names it.</para>
/// <para><b>Threading.</b> Thread-safe. Each group's view has the threading of
/// <see cref="ILogStore"/>: one writer at a time per group; views of different groups are used
/// concurrently. A write runs on the thread of the append that found the writer idle; appends
/// arriving meanwhile wait for the next write, which the writer hands to the thread pool once
/// its own append is durable (one thread hand-off per write, not per append).</para>
/// </remarks>
public sealed partial class SharedLog : IAsyncDisposable
{
    private static readonly int s_groupRecordSize = RecordFormat.RecordSize(0);
    private static readonly int s_hardStateRecordSize = RecordFormat.RecordSize(RecordFormat.HardStateSize);
    private static readonly int s_compactionRecordSize = RecordFormat.RecordSize(0);
    private static readonly int s_dropRecordSize = RecordFormat.RecordSize(0);

    private readonly SegmentChain _chain;
    private readonly Lock _gate;
    private readonly Dictionary<ulong, GroupState> _groups;
    private long _syncs;

    private SharedLog(SegmentChain chain, Dictionary<ulong, GroupState> groups)
    {
        _chain = chain;
        _gate = chain.Gate;
        _groups = groups;
    }

    /// <summary>The directory the log owns.</summary>
    public string Directory => _chain.Directory;

    /// <summary>Number of segment files in use (each holds one open handle).</summary>
    public int SegmentCount { get { lock (_gate) { return _chain.Segments.Count; } } }

    /// <summary>Number of groups the log holds anything for.</summary>
    public int GroupCount { get { lock (_gate) { return _groups.Count; } } }

    /// <summary>Writes made durable so far, each with one <c>fdatasync</c> covering every append and compaction it carried.</summary>
    public long SyncCount => Interlocked.Read(ref _syncs);

    /// <summary>
    /// A group that keeps the oldest segment from being deleted (it has records there it still
    /// needs), or null when only the current segment is in use. A group that stays here across
    /// rollovers holds too many uncompacted entries to be rewritten forward: snapshot it.
    /// </summary>
    public ulong? OldestSegmentPinnedBy
    {
        get
        {
            lock (_gate)
            {
                if (_chain.Segments.Count < 2)
                {
                    return null;
                }

                var oldest = _chain.Segments[0].Sequence;
                foreach (var group in _groups.Values)
                {
                    if (group.Pin == oldest)
                    {
                        return group.Id;
                    }
                }

                return null;
            }
        }
    }

    /// <summary>The segment being written (for tests that need to know where writes landed).</summary>
    internal LogSegment ActiveSegment { get { lock (_gate) { return _chain.Active; } } }

    /// <summary>Hook for tests: awaited by the writer before each write, after it took the requests the write carries.</summary>
    internal Func<ValueTask>? BeforeWrite { get; set; }

    /// <summary>
    /// Opens (or creates) the log in <paramref name="directory"/>, locks the directory against
    /// other processes, and rebuilds every group's index in one pass over the segments.
    /// </summary>
    /// <exception cref="LogCorruptedException">Damage that is not a torn tail.</exception>
    /// <exception cref="IOException">The directory is locked by another store or cannot be used.</exception>
    public static ValueTask<SharedLog> OpenAsync(string directory, FileLogStoreOptions? options = null, CancellationToken cancellationToken = default)
        => SegmentChain.OpenInBackground(directory, options, cancellationToken, Open);

    /// <summary>
    /// Cuts a damaged shared log at the point a <see cref="LogCorruptedException"/> named, after
    /// a human has decided that losing everything from there on is acceptable, as
    /// <see cref="FileLogStore.RepairAsync"/> does for one log. Every group loses the writes
    /// from that point on, including acknowledged entries and votes: the same warning applies
    /// to every group the node hosts.
    /// </summary>
    /// <param name="directory">The log directory (it must not be open elsewhere).</param>
    /// <param name="filePath">The <see cref="LogCorruptedException.FilePath"/> reported.</param>
    /// <param name="offset">The <see cref="LogCorruptedException.Offset"/> reported.</param>
    /// <param name="options">Options the log is opened with.</param>
    /// <param name="cancellationToken">Cancels before any change is made.</param>
    /// <returns>What was cut, or null when the log opens without damage.</returns>
    /// <exception cref="LogCorruptedException">Damage found somewhere else than the point named: nothing was cut.</exception>
    public static ValueTask<LogRepairResult?> RepairAsync(string directory, string filePath, long offset, FileLogStoreOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new FileLogStoreOptions();
        return SegmentChain.RepairAsync(directory, filePath, offset, options, async () => await (await OpenAsync(directory, options, cancellationToken).ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false), cancellationToken);
    }

    /// <summary>
    /// The log of group <paramref name="group"/>: what it holds (empty for a group never
    /// written), as an <see cref="ILogStore"/>. Disposing the view closes only the view; the
    /// group can be opened again. One view per group at a time.
    /// </summary>
    /// <exception cref="InvalidOperationException">The group's view is already open.</exception>
    public ILogStore OpenGroup(ulong group)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_groups.TryGetValue(group, out var state))
            {
                state = new GroupState(group);
                _groups.Add(group, state);
            }

            if (state.IsOpen)
            {
                throw new InvalidOperationException($"Group {group} of the shared log in '{Directory}' is already open.");
            }

            state.IsOpen = true;
            return new GroupLog(this, state);
        }
    }

    /// <summary>
    /// Forgets group <paramref name="group"/> for good, for a replica removed from its group:
    /// writes a drop record and syncs it (coalesced with other groups' writes, like an append).
    /// Once the returned task completes the group holds nothing, before and after a crash (a
    /// reopened log does not count it in <see cref="GroupCount"/>, and <see cref="OpenGroup"/>
    /// finds it empty), and its records no longer keep any segment alive. Nothing to do for a
    /// group the log holds nothing for.
    /// </summary>
    /// <exception cref="InvalidOperationException">The group's view is open: close it first.</exception>
    /// <exception cref="IOException">The write failed; the log is faulted.</exception>
    public ValueTask DropGroupAsync(ulong group, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _chain.ThrowIfFaulted();
        GroupState? state;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_groups.TryGetValue(group, out state))
            {
                return ValueTask.CompletedTask;
            }

            if (state.IsOpen)
            {
                throw new InvalidOperationException($"Group {group} of the shared log in '{Directory}' is open: close its view before dropping it.");
            }

            // Taken like a view until the drop is written, so that nobody opens the group meanwhile.
            state.IsOpen = true;
        }

        return SubmitAsync(new Request(RequestKind.Drop, state, [], null, s_groupRecordSize + s_dropRecordSize));
    }

    private static async Task<SharedLog> Open(string directory, FileLogStoreOptions options)
    {
        var stopwatch = Stopwatch.StartNew();
        Dictionary<ulong, GroupState> groups = [];
        var chain = SegmentChain.Open(directory, options, (segment, batch, _, batchStart) =>
        {
            GroupState? group = null;
            foreach (var record in batch)
            {
                if (record.Kind == RecordKind.SegmentHeader)
                {
                    continue;
                }

                if (record.Kind == RecordKind.Group)
                {
                    if (!groups.TryGetValue(record.Index, out group))
                    {
                        group = new GroupState(record.Index);
                        groups.Add(record.Index, group);
                    }

                    continue;
                }

                if (group is null)
                {
                    throw new LogCorruptedException(segment.Path, record.Offset, "a record outside any group (a FileLogStore directory opened as a shared log?)", batchStart);
                }

                switch (record.Kind)
                {
                    case RecordKind.Drop:
                        // Whatever was read for the group so far is void; a record of it after
                        // this one without a group record of its own would be damage.
                        groups.Remove(group.Id);
                        group = null;
                        break;
                    case RecordKind.HardState:
                        group.HardState = record.HardState;
                        group.StateSegment = segment;
                        break;
                    case RecordKind.Compaction or RecordKind.Reset:
                        group.Index.Replay(segment, record.Kind, record.Index, record.Term, record.Location, relaxed: true, batchStart);
                        group.CompactionSegment = segment;
                        break;
                    default:
                        // Any segment may hold a group's oldest record left: its earlier ones
                        // were deleted (or rewritten forward), so its first entry may start anywhere.
                        group.Index.Replay(segment, record.Kind, record.Index, record.Term, record.Location, relaxed: true, batchStart);
                        break;
                }
            }
        });

        foreach (var group in groups.Values)
        {
            if (group.Index.BaseIndex != group.Index.CompactedIndex)
            {
                await chain.DisposeAsync().ConfigureAwait(false);
                throw new LogCorruptedException(chain.Segments[0].Path, 0, $"group {group.Id}'s log resumes at entry {group.Index.BaseIndex + 1} but its snapshot covers only through {group.Index.CompactedIndex}: an earlier segment is missing");
            }
        }

        FileLogStoreLog.SharedOpened(options.Logger, directory, groups.Count, chain.Segments.Count, chain.BytesScanned, stopwatch.ElapsedMilliseconds);
        return new SharedLog(chain, groups);
    }

    /// <summary>What one group holds: the small, always-resident part of the shared log.</summary>
    private sealed class GroupState(ulong id)
    {
        public ulong Id { get; } = id;

        public LogIndex Index { get; } = new();

        public HardState HardState { get; set; }

        /// <summary>Segment of the latest hard state record (null: none written).</summary>
        public LogSegment? StateSegment { get; set; }

        /// <summary>Segment of the latest compaction or reset record (null: none written).</summary>
        public LogSegment? CompactionSegment { get; set; }

        public bool IsOpen { get; set; }

        /// <summary>The oldest segment the group still needs a record of (<see cref="ulong.MaxValue"/>: none).</summary>
        public ulong Pin => Math.Min(
            Index.OldestSegment?.Sequence ?? ulong.MaxValue,
            Math.Min(StateSegment?.Sequence ?? ulong.MaxValue, CompactionSegment?.Sequence ?? ulong.MaxValue));
    }
}
