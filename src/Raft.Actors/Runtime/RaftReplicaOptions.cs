using Raft.Actors.Consensus;
using Raft.Actors.Snapshots;

namespace Raft.Actors.Runtime;

/// <summary>How a <see cref="RaftReplica"/> runs its node.</summary>
public sealed class RaftReplicaOptions
{
    /// <summary>Default <see cref="TickInterval"/>: 50 ms, so the default election timeout is 0.5–1 s.</summary>
    public static readonly TimeSpan DefaultTickInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Default <see cref="ProposalTimeout"/>.</summary>
    public static readonly TimeSpan DefaultProposalTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Default <see cref="SnapshotEveryEntries"/>.</summary>
    public const ulong DefaultSnapshotEveryEntries = 10_000;

    /// <summary>Default <see cref="CompactionMargin"/>.</summary>
    public const ulong DefaultCompactionMargin = 1_000;

    /// <summary>Default <see cref="SnapshotPartTimeout"/>.</summary>
    public static readonly TimeSpan DefaultSnapshotPartTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The consensus configuration (id, group, membership, timeouts in ticks).</summary>
    public required RaftNodeOptions Node { get; init; }

    /// <summary>Length of one logical tick.</summary>
    public TimeSpan TickInterval { get; init; } = DefaultTickInterval;

    /// <summary>How long a proposal or read may wait before its outcome is reported unknown.</summary>
    public TimeSpan ProposalTimeout { get; init; } = DefaultProposalTimeout;

    /// <summary>
    /// Where the replica keeps snapshots of its state machine; null (the default) takes no
    /// snapshots and never compacts the log. The replica does not own the store and does not dispose it.
    /// </summary>
    public ISnapshotStore? SnapshotStore { get; init; }

    /// <summary>
    /// Take a snapshot once this many entries were applied since the last one (the first one
    /// comes up to a quarter earlier, at random, so that groups do not all snapshot at once).
    /// With <see cref="SnapshotEveryBytes"/> set, whichever of the two is reached first triggers.
    /// </summary>
    public ulong SnapshotEveryEntries { get; init; } = DefaultSnapshotEveryEntries;

    /// <summary>
    /// Also take a snapshot once the payloads (<c>Entry.Data</c>) of the entries applied since
    /// the last one add up to this many bytes, so that a group of large commands does not grow
    /// its log for <see cref="SnapshotEveryEntries"/> entries. Whichever of the two is reached
    /// first triggers; the first threshold comes earlier by the same random fraction (up to a
    /// quarter) as the first <see cref="SnapshotEveryEntries"/>. Null or 0 (the default): off.
    /// </summary>
    public long? SnapshotEveryBytes { get; init; }

    /// <summary>
    /// Entries kept in the log behind a snapshot, so that a follower slightly behind catches up
    /// from the log instead of receiving a whole snapshot.
    /// </summary>
    public ulong CompactionMargin { get; init; } = DefaultCompactionMargin;

    /// <summary>
    /// How long a leader sending a snapshot waits for the follower to answer before it resends
    /// from the last part the follower acknowledged; after three such waits in a row it gives
    /// the transfer up and its core tries again later.
    /// </summary>
    public TimeSpan SnapshotPartTimeout { get; init; } = DefaultSnapshotPartTimeout;

    /// <summary>
    /// Caps the rate at which this replica, as leader, sends snapshot data to followers, in bytes
    /// per second over all its transfers at once; null (the default): no cap. Parts are spaced
    /// so that a transfer of <c>B</c> bytes takes at least <c>B / rate</c> less one part. Only
    /// the transfer waits: replication, commits and clients go on meanwhile. The cap is per
    /// replica, so a node whose groups send snapshots at the same time sends up to the cap times
    /// their number. Keep it well above the state's size divided by the time a follower may take
    /// to catch up.
    /// </summary>
    public long? SnapshotTransferBytesPerSecond { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Node);
        Node.Validate();
        if (TickInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"RaftReplicaOptions.TickInterval must be positive (was {TickInterval}).", nameof(TickInterval));
        }

        if (ProposalTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"RaftReplicaOptions.ProposalTimeout must be positive (was {ProposalTimeout}).", nameof(ProposalTimeout));
        }

        if (SnapshotPartTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"RaftReplicaOptions.SnapshotPartTimeout must be positive (was {SnapshotPartTimeout}).", nameof(SnapshotPartTimeout));
        }

        if (SnapshotEveryEntries == 0)
        {
            throw new ArgumentException("RaftReplicaOptions.SnapshotEveryEntries must be positive (was 0).", nameof(SnapshotEveryEntries));
        }

        if (SnapshotTransferBytesPerSecond <= 0)
        {
            throw new ArgumentException($"RaftReplicaOptions.SnapshotTransferBytesPerSecond must be positive, or null for no cap (was {SnapshotTransferBytesPerSecond}).", nameof(SnapshotTransferBytesPerSecond));
        }

        if (SnapshotEveryBytes < 0)
        {
            throw new ArgumentException($"RaftReplicaOptions.SnapshotEveryBytes must be positive, or null or 0 to count entries only (was {SnapshotEveryBytes}).", nameof(SnapshotEveryBytes));
        }
    }
}
