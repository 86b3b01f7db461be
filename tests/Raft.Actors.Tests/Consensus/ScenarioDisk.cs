using Raft.Actors.Protocol;
using Raft.Actors.Storage;

namespace Raft.Actors.Tests.Consensus;

/// <summary>
/// What one node has made durable: its hard state and log entries, exactly as a crash would
/// leave them. A write follows the Ready contract: entries starting at or below the last
/// stored index replace the stored suffix from there.
/// </summary>
internal sealed class ScenarioDisk
{
    private readonly List<Entry> _entries = [];

    public ScenarioDisk(LogState? initial = null)
    {
        if (initial is not null)
        {
            if (initial.CompactedIndex != 0)
            {
                throw new ArgumentException("The scenario disk does not model compaction.", nameof(initial));
            }

            HardState = initial.HardState;
            _entries.AddRange(initial.Entries);
            DiskId = initial.DiskId;
        }
    }

    /// <summary>The id the node sends as its disk's (0 = none, so no disk is ever recorded or refused).</summary>
    public ulong DiskId { get; init; }

    public HardState HardState { get; private set; }

    public IReadOnlyList<Entry> Entries => _entries;

    public ulong LastIndex => (ulong)_entries.Count;

    /// <summary>Number of writes that carried entries or a hard state.</summary>
    public int Writes { get; private set; }

    public void Persist(IReadOnlyList<Entry> entries, HardState? hardState)
    {
        if (entries.Count > 0)
        {
            var first = entries[0].Index;
            if (first == 0 || first > LastIndex + 1)
            {
                throw new InvalidOperationException($"Write starting at {first} leaves a gap after the stored last index {LastIndex}.");
            }

            var keep = (int)(first - 1);
            _entries.RemoveRange(keep, _entries.Count - keep);
            _entries.AddRange(entries);
        }

        if (hardState is { } hs)
        {
            HardState = hs;
        }

        if (entries.Count > 0 || hardState is not null)
        {
            Writes++;
        }
    }

    /// <summary>What a restarted node loads.</summary>
    public LogState ToLogState() => new(HardState, 0, 0, [.. _entries], DiskId);
}
