using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Raft.Actors.Snapshots;
using Raft.Actors.Storage;

namespace Raft.Orleans.Runtime;

/// <summary>
/// The durable stores of one group's replica on this silo: its log and its snapshots, under
/// <c>{DataDirectory}/{silo name}/group-{id}/</c>. Every store the silo opens is opened here, so
/// that another log (a WAL shared by all groups of the node) replaces this one in one place.
/// </summary>
internal sealed record GroupStores(ILogStore Log, ISnapshotStore Snapshots)
{
    /// <summary>The directory holding every group of the silo named <paramref name="siloName"/>.</summary>
    public static string SiloDirectory(RaftOptions options, string siloName) =>
        Path.Combine(Path.GetFullPath(options.DataDirectory), siloName);

    /// <summary>The directory of the replica of <paramref name="group"/> on the silo named <paramref name="siloName"/>.</summary>
    public static string GroupDirectory(RaftOptions options, string siloName, ulong group) =>
        Path.Combine(SiloDirectory(options, siloName), $"group-{group}");

    /// <summary>Opens (creating when missing) the stores of <paramref name="group"/> for the silo named <paramref name="siloName"/>.</summary>
    public static async Task<GroupStores> OpenAsync(RaftOptions options, string siloName, ulong group, ILogger logger, CancellationToken cancellationToken)
    {
        var directory = GroupDirectory(options, siloName, group);
        var log = await FileLogStore.OpenAsync(
            Path.Combine(directory, "log"),
            new FileLogStoreOptions { SegmentSize = options.LogSegmentSize, Logger = logger },
            cancellationToken).ConfigureAwait(false);
        var snapshots = new FileSnapshotStore(new FileSnapshotStoreOptions { Directory = Path.Combine(directory, "snapshots") });
        return new GroupStores(log, snapshots);
    }
}
