using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Raft.Actors.Snapshots;

namespace Raft.Actors.Storage;

/// <summary>
/// The durable stores of one group's replica on one node: its log and its snapshots. Hosts open
/// them through <see cref="OpenFilesAsync"/> only, so that another log (a WAL shared by all groups
/// of a node) replaces the per-group one in one place.
/// </summary>
/// <param name="Log">The group's log; the replica (and so the host) owns and disposes it once started.</param>
/// <param name="Snapshots">The group's snapshots.</param>
public sealed record GroupStorage(ILogStore Log, ISnapshotStore Snapshots)
{
    /// <summary>
    /// Opens (creating when missing) a <see cref="FileLogStore"/> under <c>{directory}/log</c> and a
    /// <see cref="FileSnapshotStore"/> under <c>{directory}/snapshots</c>.
    /// </summary>
    public static async Task<GroupStorage> OpenFilesAsync(string directory, long logSegmentSize, ILogger? logger, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var log = await FileLogStore.OpenAsync(
            Path.Combine(directory, "log"),
            new FileLogStoreOptions { SegmentSize = logSegmentSize, Logger = logger ?? NullLogger.Instance },
            cancellationToken).ConfigureAwait(false);
        var snapshots = new FileSnapshotStore(new FileSnapshotStoreOptions { Directory = Path.Combine(directory, "snapshots") });
        return new GroupStorage(log, snapshots);
    }
}
