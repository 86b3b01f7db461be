using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Raft.Actors.Storage;

namespace Raft.Orleans.Runtime;

/// <summary>
/// Where a silo keeps its groups: <c>{DataDirectory}/{silo name}/group-{id}/</c>, opened with
/// <see cref="GroupStorage.OpenFilesAsync"/> (the one place stores are opened).
/// </summary>
internal static class GroupStores
{
    /// <summary>The directory holding every group of the silo named <paramref name="siloName"/>.</summary>
    public static string SiloDirectory(RaftOptions options, string siloName) =>
        Path.Combine(Path.GetFullPath(options.DataDirectory), siloName);

    /// <summary>Opens (creating when missing) the stores of <paramref name="group"/> for the silo named <paramref name="siloName"/>.</summary>
    public static Task<GroupStorage> OpenAsync(RaftOptions options, string siloName, ulong group, ILogger logger, CancellationToken cancellationToken) =>
        GroupStorage.OpenFilesAsync(Path.Combine(SiloDirectory(options, siloName), $"group-{group}"), options.LogSegmentSize, logger, cancellationToken);
}
