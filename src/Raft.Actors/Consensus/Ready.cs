using Raft.Actors.Protocol;

namespace Raft.Actors.Consensus;

/// <summary>
/// Everything a <see cref="RaftNode"/> asks its runtime to do, as data. The runtime must carry
/// it out in this order, then call <see cref="RaftNode.Advance"/>:
/// <list type="number">
/// <item>send <see cref="MessagesNow"/> (they promise nothing about local durability);</item>
/// <item>make <see cref="EntriesToPersist"/> and <see cref="HardState"/> durable in one write;</item>
/// <item>only then send <see cref="MessagesAfterPersist"/> (votes and acknowledgements that
/// promise durable state — sending them earlier can elect two leaders in one term);</item>
/// <item>apply <see cref="CommittedEntries"/> in order and serve <see cref="ReadStates"/>
/// once the applied index reaches theirs.</item>
/// </list>
/// </summary>
public sealed class Ready
{
    internal Ready(long number) => Number = number;

    /// <summary>Sequence number of this Ready; <see cref="RaftNode.Advance"/> checks it.</summary>
    public long Number { get; }

    /// <summary>Role when the Ready was taken.</summary>
    public RaftRole Role { get; internal init; }

    /// <summary>Leader known when the Ready was taken (0 = none).</summary>
    public ulong Leader { get; internal init; }

    /// <summary>
    /// A snapshot received from the leader to install, or null. Its data is already durable in
    /// the snapshot store (it was received before the message was stepped). Before
    /// <see cref="MessagesAfterPersist"/> leave, the runtime restores the state machine from it
    /// and compacts the log store through its index (dropping every entry, as the log now
    /// continues after it).
    /// </summary>
    public SnapshotMetadata? Snapshot { get; internal init; }

    /// <summary>The hard state to persist, or null when unchanged.</summary>
    public HardState? HardState { get; internal init; }

    /// <summary>
    /// Entries to make durable. If the first one's index is at or below the stored last index,
    /// every stored entry from that index on is replaced (a conflicting suffix).
    /// </summary>
    public IReadOnlyList<Entry> EntriesToPersist { get; internal init; } = [];

    /// <summary>Messages that may leave before anything in this Ready is durable.</summary>
    public IReadOnlyList<RaftMessage> MessagesNow { get; internal init; } = [];

    /// <summary>Messages that may leave only after entries and hard state are durable.</summary>
    public IReadOnlyList<RaftMessage> MessagesAfterPersist { get; internal init; } = [];

    /// <summary>Committed entries to apply, in log order.</summary>
    public IReadOnlyList<Entry> CommittedEntries { get; internal init; } = [];

    /// <summary>Linearizable reads whose read index is known.</summary>
    public IReadOnlyList<ReadState> ReadStates { get; internal init; } = [];

    /// <summary>
    /// Set once, when a member refused this node (its disk is not the one the group recorded):
    /// the runtime stops the replica with this error. Nothing else in the Ready needs doing.
    /// </summary>
    public NodeRefusal? Refusal { get; internal init; }

    /// <summary>True when something must be made durable before <see cref="MessagesAfterPersist"/> leave.</summary>
    public bool MustPersist => HardState is not null || EntriesToPersist.Count > 0 || Snapshot is not null;
}

/// <summary>A read request whose linearizable read index is known: serve it once applied ≥ <see cref="Index"/>.</summary>
/// <param name="RequestId">The id the caller gave <see cref="RaftNode.ReadIndex"/>.</param>
/// <param name="Index">The commit index the read must observe.</param>
public readonly record struct ReadState(ulong RequestId, ulong Index);
