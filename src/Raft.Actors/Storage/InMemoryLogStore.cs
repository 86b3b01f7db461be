using Raft.Actors.Protocol;

namespace Raft.Actors.Storage;

/// <summary>
/// An <see cref="ILogStore"/> in process memory: "durable" for the life of the instance. For
/// tests, examples and groups whose state may be rebuilt from peers. Thread-safe.
/// </summary>
public sealed class InMemoryLogStore : ILogStore
{
    private readonly Lock _gate = new();
    private readonly List<Entry> _entries = [];
    private HardState _hardState;
    private ulong _compactedIndex;
    private ulong _compactedTerm;

    /// <summary>Creates an empty store with a random disk id.</summary>
    public InMemoryLogStore()
        : this(DiskIdFile.NewDiskId())
    {
    }

    /// <summary>Creates an empty store with the given disk id (for deterministic tests and simulations).</summary>
    public InMemoryLogStore(ulong diskId) => DiskId = diskId;

    /// <summary>The id this store drew when created: a new store stands for a new (or wiped) disk.</summary>
    public ulong DiskId { get; }

    /// <inheritdoc />
    public ulong FirstIndex { get { lock (_gate) { return _compactedIndex + 1; } } }

    /// <inheritdoc />
    public ulong LastIndex { get { lock (_gate) { return _compactedIndex + (ulong)_entries.Count; } } }

    /// <inheritdoc />
    public ulong CompactedIndex { get { lock (_gate) { return _compactedIndex; } } }

    /// <inheritdoc />
    public ValueTask<LogState> LoadAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(new LogState(_hardState, _compactedIndex, _compactedTerm, _entries.ToArray(), DiskId));
        }
    }

    /// <inheritdoc />
    public ValueTask AppendAsync(LogBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            var entries = batch.Entries;
            if (entries.Count > 0)
            {
                LogBatchValidation.Validate(entries, _compactedIndex, _compactedIndex + (ulong)_entries.Count);
                var keep = (int)(entries[0].Index - _compactedIndex - 1);
                _entries.RemoveRange(keep, _entries.Count - keep);
                _entries.AddRange(entries);
            }

            if (batch.HardState is { } hs)
            {
                _hardState = hs;
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Entry>> ReadAsync(ulong from, ulong toExclusive, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var last = _compactedIndex + (ulong)_entries.Count;
            if (from <= _compactedIndex || toExclusive > last + 1 || from > toExclusive)
            {
                throw new ArgumentOutOfRangeException(nameof(from), $"Range [{from}, {toExclusive}) is outside the retained log [{_compactedIndex + 1}, {last}].");
            }

            var start = (int)(from - _compactedIndex - 1);
            return ValueTask.FromResult<IReadOnlyList<Entry>>(_entries.GetRange(start, (int)(toExclusive - from)));
        }
    }

    /// <inheritdoc />
    public bool TryGetTerm(ulong index, out ulong term)
    {
        lock (_gate)
        {
            if (index == _compactedIndex)
            {
                term = _compactedTerm;
                return true;
            }

            if (index > _compactedIndex && index <= _compactedIndex + (ulong)_entries.Count)
            {
                term = _entries[(int)(index - _compactedIndex - 1)].Term;
                return true;
            }

            term = 0;
            return false;
        }
    }

    /// <inheritdoc />
    public ValueTask CompactAsync(ulong throughIndex, ulong throughTerm, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (throughIndex <= _compactedIndex)
            {
                return ValueTask.CompletedTask;
            }

            var last = _compactedIndex + (ulong)_entries.Count;
            if (throughIndex > last || _entries[(int)(throughIndex - _compactedIndex - 1)].Term != throughTerm)
            {
                // The snapshot is ahead of the log, or the log left its history at or before the
                // snapshot's last entry: nothing retained continues the snapshot.
                _entries.Clear();
            }
            else
            {
                _entries.RemoveRange(0, (int)(throughIndex - _compactedIndex));
            }

            _compactedIndex = throughIndex;
            _compactedTerm = throughTerm;
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
