namespace Raft.Actors.Storage;

/// <summary>
/// The in-memory view of a <see cref="FileLogStore"/>: where each live entry's record lies,
/// each entry's term, and the compaction point. Built by replaying the segments on open and
/// kept up to date by every append and compaction, with the same operations, so that what a
/// reopen rebuilds is what the running store held.
/// </summary>
/// <remarks>
/// Live entries are <c>(BaseIndex, LastIndex]</c>. <c>BaseIndex == CompactedIndex</c> while the
/// store runs; during a replay that starts at a segment whose predecessors were deleted by
/// compaction the base can be higher until the compaction record is read.
/// </remarks>
internal sealed class LogIndex(List<LogSegment> segments)
{
    private readonly List<LogSegment> _segments = segments;
    private readonly List<TermRun> _terms = [];

    public ulong CompactedIndex { get; private set; }

    public ulong CompactedTerm { get; private set; }

    public ulong BaseIndex { get; private set; }

    public ulong LastIndex { get; private set; }

    /// <summary>Entry <paramref name="index"/> = <c>LastIndex + 1</c> has been written to <paramref name="segment"/>.</summary>
    public void Append(LogSegment segment, ulong index, ulong term, RecordLocation location)
    {
        if (index != LastIndex + 1)
        {
            throw new InvalidOperationException($"Log index broken: appending {index} after {LastIndex}.");
        }

        if (segment.Locations.Count == 0)
        {
            segment.FirstIndex = index;
        }

        segment.Locations.Add(location);
        if (_terms.Count == 0 || _terms[^1].Term != term)
        {
            _terms.Add(new TermRun(index, term));
        }

        LastIndex = index;
    }

    /// <summary>Forgets live entries at index ≥ <paramref name="index"/> (BaseIndex &lt; index ≤ LastIndex + 1).</summary>
    public void TruncateFrom(ulong index)
    {
        if (index > LastIndex)
        {
            return;
        }

        for (var i = _segments.Count - 1; i >= 0; i--)
        {
            var segment = _segments[i];
            if (segment.Locations.Count == 0)
            {
                continue;
            }

            if (segment.FirstIndex >= index)
            {
                segment.Locations.Clear();
                continue;
            }

            var keep = (int)(index - segment.FirstIndex);
            if (keep < segment.Locations.Count)
            {
                segment.Locations.RemoveRange(keep, segment.Locations.Count - keep);
            }

            break;
        }

        while (_terms.Count > 0 && _terms[^1].FirstIndex >= index)
        {
            _terms.RemoveAt(_terms.Count - 1);
        }

        LastIndex = index - 1;
    }

    /// <summary>Records a compaction through (<paramref name="index"/>, <paramref name="term"/>); drops entries up to it.</summary>
    public void Compact(ulong index, ulong term)
    {
        if (index <= CompactedIndex)
        {
            return;
        }

        CompactedIndex = index;
        CompactedTerm = term;
        if (index >= LastIndex)
        {
            // A snapshot at or ahead of the log: nothing retained follows it.
            Reset(index);
            return;
        }

        if (index > BaseIndex)
        {
            foreach (var segment in _segments)
            {
                if (segment.Locations.Count == 0)
                {
                    continue;
                }

                if (segment.LastIndex <= index)
                {
                    segment.Locations.Clear();
                    continue;
                }

                if (segment.FirstIndex <= index)
                {
                    segment.Locations.RemoveRange(0, (int)(index - segment.FirstIndex + 1));
                    segment.FirstIndex = index + 1;
                }

                break;
            }

            BaseIndex = index;
        }

        // Keep the run that covers BaseIndex + 1, drop the ones wholly below it.
        var drop = 0;
        while (drop + 1 < _terms.Count && _terms[drop + 1].FirstIndex <= index + 1)
        {
            drop++;
        }

        _terms.RemoveRange(0, drop);
    }

    /// <summary>
    /// Records a compaction through (<paramref name="index"/>, <paramref name="term"/>) that drops
    /// every live entry, also those after it: a snapshot replaced a log that disagreed with it.
    /// </summary>
    public void Replace(ulong index, ulong term)
    {
        if (index <= CompactedIndex)
        {
            throw new InvalidOperationException($"Log index broken: replacing the log by a snapshot at {index}, at or below the compaction point {CompactedIndex}.");
        }

        CompactedIndex = index;
        CompactedTerm = term;
        Reset(index);
    }

    /// <summary>Drops every live entry; the log continues at <paramref name="baseIndex"/> + 1.</summary>
    public void Reset(ulong baseIndex)
    {
        foreach (var segment in _segments)
        {
            segment.Locations.Clear();
        }

        _terms.Clear();
        BaseIndex = baseIndex;
        LastIndex = baseIndex;
    }

    /// <summary>Term of a live entry, or of the compaction point.</summary>
    public bool TryGetTerm(ulong index, out ulong term)
    {
        if (index == CompactedIndex && BaseIndex == CompactedIndex)
        {
            term = CompactedTerm;
            return true;
        }

        if (index <= BaseIndex || index > LastIndex)
        {
            term = 0;
            return false;
        }

        int lo = 0, hi = _terms.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (_terms[mid].FirstIndex <= index)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        term = _terms[lo].Term;
        return true;
    }

    /// <summary>The segment holding live entry <paramref name="index"/>.</summary>
    public LogSegment SegmentOf(ulong index)
    {
        for (var i = _segments.Count - 1; i >= 0; i--)
        {
            if (_segments[i].Holds(index))
            {
                return _segments[i];
            }
        }

        throw new InvalidOperationException($"Log index broken: entry {index} is in no segment (live range ({BaseIndex}, {LastIndex}]).");
    }

    private readonly record struct TermRun(ulong FirstIndex, ulong Term);
}
