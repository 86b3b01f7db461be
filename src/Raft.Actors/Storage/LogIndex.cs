namespace Raft.Actors.Storage;

/// <summary>
/// The in-memory view of one log (a <see cref="FileLogStore"/>, or one group of a
/// <see cref="SharedLog"/>): where each live entry's record lies, each entry's term, and the
/// compaction point. Built by replaying the segments on open and kept up to date by every
/// append and compaction, with the same operations, so that what a reopen rebuilds is what the
/// running store held.
/// </summary>
/// <remarks>
/// Live entries are <c>(BaseIndex, LastIndex]</c>. <c>BaseIndex == CompactedIndex</c> while the
/// store runs; during a replay that starts at a segment whose predecessors were deleted by
/// compaction the base can be higher until the compaction record is read.
/// </remarks>
internal sealed class LogIndex
{
    private readonly List<LogExtent> _extents = [];
    private readonly List<TermRun> _terms = [];
    private bool _replayedEntry;

    public ulong CompactedIndex { get; private set; }

    public ulong CompactedTerm { get; private set; }

    public ulong BaseIndex { get; private set; }

    public ulong LastIndex { get; private set; }

    /// <summary>The segment holding the oldest live entry, or null when no entry is live.</summary>
    public LogSegment? OldestSegment => _extents.Count > 0 ? _extents[0].Segment : null;

    /// <summary>Bytes the records of the live entries take on disk.</summary>
    public long LiveBytes => _extents.Sum(extent => extent.RecordBytes);

    /// <summary>Entry <paramref name="index"/> = <c>LastIndex + 1</c> has been written to <paramref name="segment"/>.</summary>
    public void Append(LogSegment segment, ulong index, ulong term, RecordLocation location)
    {
        if (index != LastIndex + 1)
        {
            throw new InvalidOperationException($"Log index broken: appending {index} after {LastIndex}.");
        }

        if (_extents.Count == 0 || _extents[^1].Segment != segment)
        {
            _extents.Add(new LogExtent(segment, index));
        }

        _extents[^1].Locations.Add(location);
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

        while (_extents.Count > 0)
        {
            var extent = _extents[^1];
            if (extent.FirstIndex >= index)
            {
                _extents.RemoveAt(_extents.Count - 1);
                continue;
            }

            var keep = (int)(index - extent.FirstIndex);
            if (keep < extent.Locations.Count)
            {
                extent.Locations.RemoveRange(keep, extent.Locations.Count - keep);
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
            while (_extents.Count > 0)
            {
                var extent = _extents[0];
                if (extent.LastIndex <= index)
                {
                    _extents.RemoveAt(0);
                    continue;
                }

                if (extent.FirstIndex <= index)
                {
                    extent.Locations.RemoveRange(0, (int)(index - extent.FirstIndex + 1));
                    extent.FirstIndex = index + 1;
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
        _extents.Clear();
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

    /// <summary>
    /// Cuts live entries <c>[from, toExclusive)</c> into runs of one extent each, to be read with
    /// <see cref="LogExtent.Read"/>; throws <see cref="ArgumentOutOfRangeException"/> when the
    /// range is not retained.
    /// </summary>
    public List<(LogExtent Extent, ulong First, int Count)> Slice(ulong from, ulong toExclusive)
    {
        if (from <= CompactedIndex || toExclusive > LastIndex + 1 || from > toExclusive)
        {
            throw new ArgumentOutOfRangeException(nameof(from), $"Range [{from}, {toExclusive}) is outside the retained log [{CompactedIndex + 1}, {LastIndex}].");
        }

        List<(LogExtent, ulong, int)> pieces = [];
        var index = from;
        while (index < toExclusive)
        {
            var extent = ExtentOf(index);
            var count = (int)Math.Min(toExclusive - index, extent.LastIndex - index + 1);
            pieces.Add((extent, index, count));
            index += (ulong)count;
        }

        return pieces;
    }

    /// <summary>Reads live entries <c>[from, toExclusive)</c> from the segment files.</summary>
    public static Protocol.Entry[] Read(List<(LogExtent Extent, ulong First, int Count)> pieces)
    {
        var total = 0;
        foreach (var piece in pieces)
        {
            total += piece.Count;
        }

        var result = new Protocol.Entry[total];
        var next = 0;
        foreach (var (extent, first, count) in pieces)
        {
            extent.Read(first, count, result, ref next);
        }

        return result;
    }

    /// <summary>
    /// Applies a compaction, reset or entry record read during recovery, with the same rules
    /// the writer followed. <paramref name="relaxed"/>: the log may start at this record's
    /// entry (its earlier segments were deleted), once.
    /// </summary>
    public void Replay(LogSegment segment, RecordKind kind, ulong index, ulong term, RecordLocation location, bool relaxed, long batchStart)
    {
        switch (kind)
        {
            case RecordKind.Compaction:
                Compact(index, term);
                return;
            case RecordKind.Reset:
                if (index <= CompactedIndex)
                {
                    // The writer resets only above the compaction point, and the point never moves back.
                    throw new LogCorruptedException(segment.Path, location.Offset, $"log reset at {index} at or below the compaction point {CompactedIndex}", batchStart);
                }

                Replace(index, term);
                return;
            case RecordKind.Entry:
                break;
            default:
                throw new InvalidOperationException($"Record kind {kind} is not an index record.");
        }

        if (index == LastIndex + 1)
        {
            // The common case: the next entry.
        }
        else if (index > BaseIndex && index <= LastIndex)
        {
            TruncateFrom(index); // Raft §5.3: a conflicting suffix was replaced
        }
        else if (index > CompactedIndex && (index <= BaseIndex || (relaxed && !_replayedEntry)))
        {
            // Compaction deleted the segments before the oldest one left, so the log starts at
            // that segment's first entry (a gap is allowed there only), and a later truncation
            // may reach below it, into entries of a deleted segment: the log restarts there.
            // Either way the compaction record that allowed the deletion follows, and whether
            // the log then meets the snapshot is checked once every record has been read.
            // (While every segment is present, BaseIndex == CompactedIndex and neither applies.)
            Reset(index - 1);
        }
        else
        {
            throw new LogCorruptedException(segment.Path, location.Offset, $"entry {index} cannot follow the log ({BaseIndex}, {LastIndex}] (compacted through {CompactedIndex})", batchStart);
        }

        Append(segment, index, term, location);
        _replayedEntry = true;
    }

    private LogExtent ExtentOf(ulong index)
    {
        for (var i = _extents.Count - 1; i >= 0; i--)
        {
            if (_extents[i].Holds(index))
            {
                return _extents[i];
            }
        }

        throw new InvalidOperationException($"Log index broken: entry {index} is in no segment (live range ({BaseIndex}, {LastIndex}]).");
    }

    private readonly record struct TermRun(ulong FirstIndex, ulong Term);
}
