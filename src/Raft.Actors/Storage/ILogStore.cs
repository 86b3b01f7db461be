using Raft.Actors.Protocol;

namespace Raft.Actors.Storage;

/// <summary>
/// Durable storage of one group's log and <see cref="HardState"/>.
/// </summary>
/// <remarks>
/// <para><b>Crash contract.</b> When <see cref="AppendAsync"/> completes, everything in the batch
/// (entries, the truncation it implies, the hard state) is durable: it survives a process crash
/// and a power loss. A batch that did not complete may be lost whole or in part, but only as a
/// suffix: after a crash the store holds some prefix of the batches in the order they were
/// appended, never an entry without the entries before it, never a corrupt entry.</para>
/// <para><b>Damage.</b> A store that finds stored bytes damaged anywhere but in the torn tail of
/// an unacknowledged write refuses to go on with <see cref="LogCorruptedException"/> (file,
/// offset) rather than skip them: skipping could silently lose an acknowledged entry or vote.</para>
/// <para><b>Truncation.</b> A batch whose first entry has index <c>i ≤ LastIndex</c> replaces
/// every stored entry at index <c>≥ i</c> (a conflicting suffix, Raft §5.3).</para>
/// <para><b>Threading.</b> One writer at a time: the owning replica calls <see cref="AppendAsync"/>
/// and <see cref="CompactAsync"/> one after the other, never concurrently. Reads may run
/// concurrently with each other but not with a write.</para>
/// </remarks>
public interface ILogStore : IAsyncDisposable
{
    /// <summary>Index of the first retained entry; <c>CompactedIndex + 1</c>.</summary>
    ulong FirstIndex { get; }

    /// <summary>Index of the last entry, or <see cref="CompactedIndex"/> when none is retained.</summary>
    ulong LastIndex { get; }

    /// <summary>The last index removed by compaction (0 when nothing was compacted).</summary>
    ulong CompactedIndex { get; }

    /// <summary>Reads what is durable: hard state, compaction point and every retained entry.</summary>
    ValueTask<LogState> LoadAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends a batch and makes it durable in one group commit (one write, one sync).
    /// Entries must be contiguous and start at or below <c>LastIndex + 1</c> and above
    /// <see cref="CompactedIndex"/>; otherwise <see cref="ArgumentException"/> and nothing changes.
    /// </summary>
    ValueTask AppendAsync(LogBatch batch, CancellationToken cancellationToken = default);

    /// <summary>Reads entries <c>[from, toExclusive)</c>; every index must be retained.</summary>
    ValueTask<IReadOnlyList<Entry>> ReadAsync(ulong from, ulong toExclusive, CancellationToken cancellationToken = default);

    /// <summary>
    /// Term of the entry at <paramref name="index"/>; defined for retained entries and for
    /// <see cref="CompactedIndex"/> (the snapshot's term). False otherwise.
    /// </summary>
    bool TryGetTerm(ulong index, out ulong term);

    /// <summary>
    /// Drops entries up to and including <paramref name="throughIndex"/>, which a durable
    /// snapshot whose last entry has <paramref name="throughTerm"/> covers; afterwards
    /// <see cref="CompactedIndex"/> is <paramref name="throughIndex"/> and its term
    /// <paramref name="throughTerm"/>. What happens to the entries after it depends on whether
    /// the log agrees with the snapshot there (Raft §7, Figure 13):
    /// <list type="bullet">
    /// <item>The store holds an entry at <paramref name="throughIndex"/> of term
    /// <paramref name="throughTerm"/>: the entries after it are kept (by Log Matching the log
    /// agrees with the snapshot up to there, and what follows may be entries the snapshot lacks).</item>
    /// <item>The store holds an entry at <paramref name="throughIndex"/> of another term, or
    /// none (a snapshot ahead of the log): every retained entry is dropped. The log is then empty
    /// and continues at <c>throughIndex + 1</c>. The entries after a mismatch came from another
    /// history: none of them can be committed, and a restart must not bring them back.</item>
    /// </list>
    /// Either outcome is durable when the returned task completes: it survives a crash and a
    /// power loss. A crash before then leaves either the log as it was or the outcome, never a
    /// mix. At or below <see cref="CompactedIndex"/> the call changes nothing. A store may keep
    /// dropped entries on disk (it deletes whole segments) as long as it never reports or
    /// reloads them.
    /// </summary>
    ValueTask CompactAsync(ulong throughIndex, ulong throughTerm, CancellationToken cancellationToken = default);
}

/// <summary>One group-committed write: entries (possibly none) and an optional new hard state.</summary>
/// <param name="Entries">Contiguous entries; the first one's index may truncate a suffix.</param>
/// <param name="HardState">The hard state to store with the batch, or null to keep the current one.</param>
public sealed record LogBatch(IReadOnlyList<Entry> Entries, HardState? HardState);

/// <summary>What a store holds when opened.</summary>
/// <param name="HardState">Last durable hard state.</param>
/// <param name="CompactedIndex">Last index removed by compaction (0 = none).</param>
/// <param name="CompactedTerm">Term of the entry at <paramref name="CompactedIndex"/>.</param>
/// <param name="Entries">Retained entries, contiguous from <c>CompactedIndex + 1</c>.</param>
/// <param name="DiskId">
/// A random id the store drew when it was created, kept for its lifetime (0 = none). The group
/// records each member's disk id and refuses a member that comes back with another one: it
/// lost its disk, and with it votes and entries it acknowledged.
/// </param>
public sealed record LogState(HardState HardState, ulong CompactedIndex, ulong CompactedTerm, IReadOnlyList<Entry> Entries, ulong DiskId = 0);
