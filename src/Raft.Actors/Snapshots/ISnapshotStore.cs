using Raft.Actors.Protocol;

namespace Raft.Actors.Snapshots;

/// <summary>
/// Where a replica keeps its snapshots: the ones it took or received whole (published), and the
/// transfers it is still receiving (incoming).
/// </summary>
/// <remarks>
/// <para><b>Publishing.</b> A snapshot becomes visible only through
/// <see cref="PendingSnapshot.PublishAsync"/> or <see cref="IncomingSnapshot.PublishAsync"/>, and
/// atomically: before it returns, readers see the previous set of snapshots; after it returns, the
/// new one is durable and listed. A crash in between leaves the previous set.</para>
/// <para><b>Retention.</b> After a publish, only the newest few snapshots (by index) are kept; older
/// ones are deleted, and only once the new one is durable, so the store never holds fewer than one
/// durable snapshot once it held one. A snapshot returned by <see cref="ListAsync"/> may be deleted
/// by a later publish; open the latest again if opening fails.</para>
/// <para><b>Transfers.</b> An incoming snapshot survives restarts (in a file store) so that a
/// follower resumes a transfer after its last intact chunk; see <see cref="SnapshotReceiver"/>.</para>
/// <para><b>Threading.</b> Members may be called concurrently; each <see cref="PendingSnapshot"/>,
/// <see cref="IncomingSnapshot"/> and opened stream is used by one caller at a time. At most one
/// <see cref="IncomingSnapshot"/> per id is open at a time.</para>
/// </remarks>
public interface ISnapshotStore
{
    /// <summary>The options snapshots are written with (and readers' worker count).</summary>
    SnapshotOptions Options { get; }

    /// <summary>The published snapshots, newest first.</summary>
    ValueTask<IReadOnlyList<SnapshotInfo>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>The newest published snapshot, or null when there is none.</summary>
    ValueTask<SnapshotInfo?> GetLatestAsync(CancellationToken cancellationToken = default);

    /// <summary>Opens a published snapshot's bytes as stored (for <see cref="SnapshotReader"/> or <see cref="SnapshotFrameReader"/>).</summary>
    /// <exception cref="FileNotFoundException">The snapshot was deleted since it was listed.</exception>
    ValueTask<Stream> OpenAsync(SnapshotInfo snapshot, CancellationToken cancellationToken = default);

    /// <summary>Opens a published snapshot's state: a <see cref="SnapshotReader"/> that verifies and decompresses it.</summary>
    /// <exception cref="FileNotFoundException">The snapshot was deleted since it was listed.</exception>
    /// <exception cref="SnapshotCorruptedException">The header is damaged.</exception>
    ValueTask<SnapshotReader> OpenReaderAsync(SnapshotInfo snapshot, CancellationToken cancellationToken = default);

    /// <summary>Opens a published snapshot's frames as stored, to send them to a follower.</summary>
    /// <exception cref="FileNotFoundException">The snapshot was deleted since it was listed.</exception>
    /// <exception cref="SnapshotCorruptedException">The header is damaged.</exception>
    ValueTask<SnapshotFrameReader> OpenFramesAsync(SnapshotInfo snapshot, CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts a local snapshot of <paramref name="metadata"/>: write the state into
    /// <see cref="PendingSnapshot.Content"/>, then publish it. Nothing is visible until then.
    /// </summary>
    ValueTask<PendingSnapshot> CreateAsync(SnapshotMetadata metadata, CancellationToken cancellationToken = default);

    /// <summary>
    /// Opens the partial transfer of snapshot <paramref name="id"/>, creating it when there is none,
    /// and recovers what an earlier attempt left (its verified prefix).
    /// </summary>
    /// <exception cref="IOException">That transfer is already open.</exception>
    ValueTask<IncomingSnapshot> OpenIncomingAsync(SnapshotId id, CancellationToken cancellationToken = default);

    /// <summary>The partial transfers kept (for example after a restart), oldest first.</summary>
    ValueTask<IReadOnlyList<SnapshotId>> ListIncomingAsync(CancellationToken cancellationToken = default);

    /// <summary>Discards the partial transfer of <paramref name="id"/> (superseded or restarted); nothing when there is none.</summary>
    ValueTask DeleteIncomingAsync(SnapshotId id, CancellationToken cancellationToken = default);
}

/// <summary>A published snapshot.</summary>
/// <param name="Id">The last index and term it covers.</param>
/// <param name="Length">Its size in bytes as stored.</param>
/// <param name="Name">Its name for errors and logs: the file path in a file store.</param>
public sealed record SnapshotInfo(SnapshotId Id, long Length, string Name);
