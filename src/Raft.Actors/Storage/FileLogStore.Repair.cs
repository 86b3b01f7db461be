namespace Raft.Actors.Storage;

public sealed partial class FileLogStore
{
    /// <summary>
    /// Cuts a damaged log at the point a <see cref="LogCorruptedException"/> named, after a human
    /// has decided that losing everything from there on is acceptable: the batch holding the
    /// damage and every later batch are zeroed, later segments deleted. Then the log opens.
    /// </summary>
    /// <remarks>
    /// Nothing is cut unless opening the log fails with damage at exactly
    /// <paramref name="filePath"/> and <paramref name="offset"/> (so a stale instruction cannot cut
    /// a log that has changed since). A cut can remove acknowledged entries and the latest hard
    /// state, including a vote: the node may then vote twice in a term or miss committed entries.
    /// Do not let it rejoin its group as a voter with its old id until that has been considered;
    /// the safe course is to restart it empty under a new id.
    /// </remarks>
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
}

/// <summary>What <see cref="FileLogStore.RepairAsync"/> or <see cref="SharedLog.RepairAsync"/> cut.</summary>
/// <param name="FilePath">The segment that was cut.</param>
/// <param name="CutOffset">Where: the start of the batch that held the damage; zeros from here on.</param>
/// <param name="BytesZeroed">Bytes of that segment overwritten with zeros.</param>
/// <param name="SegmentsDeleted">Later segments deleted.</param>
public sealed record LogRepairResult(string FilePath, long CutOffset, long BytesZeroed, int SegmentsDeleted);
