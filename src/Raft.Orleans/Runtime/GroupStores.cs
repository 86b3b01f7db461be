using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Raft.Actors.Runtime;
using Raft.Actors.Snapshots;

namespace Raft.Orleans.Runtime;

/// <summary>
/// Where this silo's replicas keep their data, and the one place it is opened and deleted. Under
/// <c>{DataDirectory}/{silo name}/</c>: <c>log/</c>, the node's <see cref="Actors.Storage.SharedLog"/>
/// holding the logs of all its groups (one fdatasync covers every group's writes), and
/// <c>group-{id}/snapshots/</c> per group. A group's directory exists exactly while the silo has a
/// replica of the group: it is created when the replica first starts and deleted when it leaves.
/// </summary>
internal static class GroupStores
{
    /// <summary>The directory holding every group of the silo named <paramref name="siloName"/> (and its shared log).</summary>
    public static string SiloDirectory(RaftOptions options, string siloName) =>
        Path.Combine(Path.GetFullPath(options.DataDirectory), siloName);

    /// <summary>The directory of the replica of <paramref name="group"/> on the silo named <paramref name="siloName"/>.</summary>
    public static string GroupDirectory(RaftOptions options, string siloName, ulong group) =>
        Path.Combine(SiloDirectory(options, siloName), $"group-{group}");

    /// <summary>Whether the silo named <paramref name="siloName"/> has a replica of <paramref name="group"/> on disk.</summary>
    public static bool HasReplica(RaftOptions options, string siloName, ulong group) =>
        Directory.Exists(GroupDirectory(options, siloName, group));

    /// <summary>The settings of the silo's host: its node id, ticks, and the shared log in the silo directory.</summary>
    public static RaftHostOptions HostOptions(RaftOptions options, string siloName, ulong nodeId) => new()
    {
        NodeId = nodeId,
        TickInterval = options.TickInterval,
        DataDirectory = SiloDirectory(options, siloName),
        LogSegmentSize = options.LogSegmentSize,
    };

    /// <summary>
    /// Opens (creating when missing, which marks the group as replicated here) the snapshot store
    /// of <paramref name="group"/>. Its log is the group's part of the host's shared log.
    /// </summary>
    /// <exception cref="InvalidOperationException">The group directory holds a log of its own, written by a build that kept one log per group: it is not migrated.</exception>
    public static ISnapshotStore OpenSnapshots(RaftOptions options, string siloName, ulong group)
    {
        var directory = GroupDirectory(options, siloName, group);
        if (Directory.Exists(Path.Combine(directory, "log")))
        {
            throw new InvalidOperationException($"'{Path.Combine(directory, "log")}' is a log of group {group} alone, from a build that kept one log per group; this build keeps the logs of all groups in '{Path.Combine(SiloDirectory(options, siloName), "log")}' and does not migrate them. Start the silo on an empty data directory.");
        }

        return new FileSnapshotStore(new FileSnapshotStoreOptions { Directory = Path.Combine(directory, "snapshots") });
    }

    /// <summary>
    /// Deletes the data of this silo's replica of <paramref name="group"/>, once it is stopped: drops
    /// the group from the shared log (durably, so it is neither reloaded nor kept in old segments),
    /// then deletes the group directory. A crash in between leaves an empty directory: the replica
    /// then restarts empty, without configuration, and waits to be added.
    /// </summary>
    public static async Task DeleteAsync(RaftHost host, RaftOptions options, string siloName, ulong group, ILogger logger)
    {
        if (host.SharedLog is { } log)
        {
            await log.DropGroupAsync(group).ConfigureAwait(false);
        }

        var directory = GroupDirectory(options, siloName, group);
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            GroupStoresLog.DeleteFailed(logger, directory, ex);
        }
    }
}

/// <summary>Log lines of <see cref="GroupStores"/>.</summary>
internal static partial class GroupStoresLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete the data of a removed replica under {Directory}")]
    public static partial void DeleteFailed(ILogger logger, string directory, Exception exception);
}
