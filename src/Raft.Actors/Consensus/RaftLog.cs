using Raft.Actors.Protocol;

namespace Raft.Actors.Consensus;

/// <summary>
/// The core's view of the log: every entry after the compaction point, which of them are
/// durable (<see cref="Stable"/>), committed and applied. Held in memory so the core never
/// reads storage; the runtime loads it on start and compaction trims it.
/// </summary>
internal sealed class RaftLog
{
    private readonly List<Entry> _entries = [];
    private ulong _offsetIndex;
    private ulong _offsetTerm;
    private readonly ConfigurationHistory _configurations;

    /// <param name="compactedIndex">Last index removed from the log (0 = none).</param>
    /// <param name="compactedTerm">Term of that entry.</param>
    /// <param name="entries">Retained entries, contiguous from <c>compactedIndex + 1</c>.</param>
    /// <param name="committed">Durable commit index.</param>
    /// <param name="applied">Index the state machine was restored to (a snapshot's, or the compaction point).</param>
    /// <param name="appliedConfiguration">Membership as of <paramref name="applied"/>: the snapshot's, or the initial one.</param>
    public RaftLog(ulong compactedIndex, ulong compactedTerm, IReadOnlyList<Entry> entries, ulong committed, ulong applied, ConfState appliedConfiguration)
    {
        _configurations = new ConfigurationHistory(Math.Max(applied, compactedIndex), appliedConfiguration);
        _offsetIndex = compactedIndex;
        _offsetTerm = compactedTerm;
        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i].Index != compactedIndex + 1 + (ulong)i)
            {
                throw new ArgumentException($"Restored entries are not contiguous from {compactedIndex + 1}: entry {i} has index {entries[i].Index}.", nameof(entries));
            }
        }

        foreach (var e in entries)
        {
            _entries.Add(e);
            _configurations.OnAppended(e);
        }

        Stable = LastIndex;
        Committed = Math.Max(committed, compactedIndex);
        Applied = Math.Max(applied, compactedIndex);
        if (Committed > LastIndex || Applied > Committed)
        {
            throw new ArgumentException($"Restored commit {committed} / applied {applied} are inconsistent with the log [{FirstIndex}, {LastIndex}].");
        }
    }

    /// <summary>Highest index known to be committed.</summary>
    public ulong Committed { get; private set; }

    /// <summary>Highest index handed to the runtime to apply.</summary>
    public ulong Applied { get; private set; }

    /// <summary>Highest index known durable (and still part of this log).</summary>
    public ulong Stable { get; private set; }

    public ulong CompactedIndex => _offsetIndex;

    public ulong FirstIndex => _offsetIndex + 1;

    public ulong LastIndex => _offsetIndex + (ulong)_entries.Count;

    public ulong LastTerm => _entries.Count == 0 ? _offsetTerm : _entries[^1].Term;

    /// <summary>The membership in force: set by the last configuration entry, committed or not.</summary>
    public ConfState Configuration => _configurations.Latest;

    /// <summary>Index of the entry that set <see cref="Configuration"/> (or the compaction point).</summary>
    public ulong ConfigurationIndex => _configurations.LatestIndex;

    /// <summary>True when a configuration this log holds (or its base) has <paramref name="id"/> as a member.</summary>
    public bool EverContained(ulong id) => _configurations.EverContained(id);

    /// <summary>The membership as of <paramref name="index"/>, for a snapshot taken there.</summary>
    public ConfState ConfigurationAt(ulong index) => _configurations.At(index);

    public bool TryTerm(ulong index, out ulong term)
    {
        if (index == _offsetIndex)
        {
            term = _offsetTerm;
            return true;
        }

        if (index > _offsetIndex && index <= LastIndex)
        {
            term = _entries[(int)(index - FirstIndex)].Term;
            return true;
        }

        term = 0;
        return false;
    }

    /// <summary>Term at <paramref name="index"/>, or 0 when not held (compacted or beyond the end).</summary>
    public ulong TermOrZero(ulong index) => TryTerm(index, out var t) ? t : 0;

    public bool MatchTerm(ulong index, ulong term) => TryTerm(index, out var t) && t == term;

    public Entry EntryAt(ulong index) => _entries[(int)(index - FirstIndex)];

    /// <summary>Raft §5.4.1: is a log ending at (<paramref name="lastIndex"/>, <paramref name="lastTerm"/>) at least as up to date as ours?</summary>
    public bool IsUpToDate(ulong lastIndex, ulong lastTerm) =>
        lastTerm > LastTerm || (lastTerm == LastTerm && lastIndex >= LastIndex);

    /// <summary>Appends entries created by this node as leader.</summary>
    public void AppendOwn(Entry entry)
    {
        _entries.Add(entry);
        _configurations.OnAppended(entry);
    }

    /// <summary>
    /// Follower side of Append (Raft §5.3): if our entry at <paramref name="prevIndex"/> has
    /// <paramref name="prevTerm"/>, take the new entries (truncating at the first conflict) and
    /// advance commit. Returns the index of the last new entry, or null on a mismatch.
    /// </summary>
    public ulong? TryAppend(ulong prevIndex, ulong prevTerm, ulong leaderCommit, IReadOnlyList<Entry> entries)
    {
        if (!MatchTerm(prevIndex, prevTerm))
        {
            return null;
        }

        var lastNew = prevIndex + (ulong)entries.Count;
        var conflict = FindConflict(entries);
        if (conflict != 0)
        {
            if (conflict <= Committed)
            {
                throw new InvalidOperationException($"Entry {conflict} conflicts with a committed entry (committed={Committed}, last={LastIndex}).");
            }

            var from = (int)(conflict - (prevIndex + 1));
            TruncateAndAppend(entries, from);
        }

        CommitTo(Math.Min(leaderCommit, lastNew));
        return lastNew;
    }

    /// <summary>
    /// Index of the first entry that is new or whose term differs from ours, or 0 when all
    /// are already held. Entries below our first index are treated as matching: they are
    /// committed and compacted.
    /// </summary>
    private ulong FindConflict(IReadOnlyList<Entry> entries)
    {
        foreach (var e in entries)
        {
            if (e.Index < FirstIndex)
            {
                continue;
            }

            if (!MatchTerm(e.Index, e.Term))
            {
                return e.Index;
            }
        }

        return 0;
    }

    private void TruncateAndAppend(IReadOnlyList<Entry> entries, int from)
    {
        var after = entries[from].Index - 1;
        var keep = (int)(after - _offsetIndex);
        if (keep < _entries.Count)
        {
            _entries.RemoveRange(keep, _entries.Count - keep);
        }

        // Entries past the truncation point were durable, but are no longer ours.
        Stable = Math.Min(Stable, after);
        _configurations.TruncateFrom(after + 1);
        for (var i = from; i < entries.Count; i++)
        {
            _entries.Add(entries[i]);
            _configurations.OnAppended(entries[i]);
        }
    }

    /// <summary>
    /// Thesis §5.4 fast backtracking: the largest index ≤ <paramref name="index"/> whose term is
    /// ≤ <paramref name="term"/>, with that term. Lets a leader skip a whole conflicting term.
    /// </summary>
    public (ulong Index, ulong Term) FindConflictByTerm(ulong index, ulong term)
    {
        index = Math.Min(index, LastIndex);
        while (index > _offsetIndex)
        {
            var t = TermOrZero(index);
            if (t <= term)
            {
                return (index, t);
            }

            index--;
        }

        return (index, TermOrZero(index));
    }

    /// <summary>Entries from <paramref name="from"/> on, bounded by count and bytes (at least one if any).</summary>
    public Entry[] Slice(ulong from, int maxCount, long maxBytes)
    {
        if (from > LastIndex)
        {
            return [];
        }

        var start = (int)(from - FirstIndex);
        var count = 0;
        long bytes = 0;
        while (start + count < _entries.Count && count < maxCount)
        {
            bytes += _entries[start + count].Size;
            if (count > 0 && bytes > maxBytes)
            {
                break;
            }

            count++;
        }

        return _entries.GetRange(start, count).ToArray();
    }

    public void CommitTo(ulong index)
    {
        if (index <= Committed)
        {
            return;
        }

        if (index > LastIndex)
        {
            throw new InvalidOperationException($"Commit {index} is beyond the last index {LastIndex}.");
        }

        Committed = index;
    }

    /// <summary>Entries after <see cref="Stable"/>: what the next Ready persists.</summary>
    public Entry[] Unstable() => Stable >= LastIndex ? [] : _entries.GetRange((int)(Stable - _offsetIndex), (int)(LastIndex - Stable)).ToArray();

    /// <summary>
    /// Committed entries not yet handed out. Some may be in the same Ready's
    /// <see cref="Ready.EntriesToPersist"/>: the runtime applies only after persisting.
    /// </summary>
    public Entry[] NextCommitted() =>
        Committed <= Applied ? [] : _entries.GetRange((int)(Applied - _offsetIndex), (int)(Committed - Applied)).ToArray();

    /// <summary>Marks entries up to <paramref name="index"/> durable if the entry there still has <paramref name="term"/>.</summary>
    /// <remarks>The term check stops a late acknowledgement from marking a replaced entry stable (etcd async storage writes).</remarks>
    public void StableTo(ulong index, ulong term)
    {
        if (index > Stable && MatchTerm(index, term))
        {
            Stable = index;
        }
    }

    /// <summary>Drops entries up to <paramref name="index"/>; they must be applied and durable (a snapshot covers them).</summary>
    public void Compact(ulong index)
    {
        if (index <= _offsetIndex)
        {
            return;
        }

        if (index > Applied || index > Stable)
        {
            throw new InvalidOperationException($"Cannot compact through {index}: applied is {Applied}, stable is {Stable}.");
        }

        var term = TermOrZero(index);
        _configurations.CompactTo(index);
        _entries.RemoveRange(0, (int)(index - _offsetIndex));
        _offsetIndex = index;
        _offsetTerm = term;
    }

    /// <summary>
    /// Replaces the whole log by a snapshot's point: everything up to <paramref name="index"/> is
    /// committed and applied through the snapshot, and the log continues at <c>index + 1</c>.
    /// </summary>
    public void RestoreSnapshot(ulong index, ulong term, ConfState configuration)
    {
        if (index <= Committed)
        {
            throw new InvalidOperationException($"Snapshot {index}@{term} is not past the commit index {Committed}.");
        }

        _entries.Clear();
        _configurations.Reset(index, configuration);
        _offsetIndex = index;
        _offsetTerm = term;
        Committed = index;
        Applied = index;
        Stable = index;
    }

    public void AppliedTo(ulong index)
    {
        if (index > Committed)
        {
            throw new InvalidOperationException($"Applied {index} is beyond the commit index {Committed}.");
        }

        // A snapshot restored meanwhile may have moved applied past what the runtime just applied.
        Applied = Math.Max(Applied, index);
    }
}
