using Raft.Actors.Storage;
using Raft.Actors.Testing.Conformance;
using Xunit;

namespace Raft.Actors.Tests.Storage;

/// <summary>
/// The conformance kit on one group of a <see cref="SharedLog"/> with small (64 KiB) segments,
/// so that rollover, rewriting forward and segment deletion happen. A neighbour group appends
/// between the kit's writes and at every reopen, so the group's records are interleaved with
/// another group's, and a reopen really closes the shared log and opens its directory again.
/// </summary>
public sealed class SharedLogConformanceTests : LogStoreConformance
{
    private const ulong Group = 42;
    private const ulong Neighbour = 7;
    private readonly StorageTestDirectory _root = new("shared-conformance");
    private readonly Dictionary<ILogStore, (SharedLog Log, ILogStore Neighbour)> _logs = [];
    private ulong _neighbourIndex;

    protected override bool SupportsReopen => true;

    protected override async ValueTask<ILogStore> CreateStoreAsync() => await OpenAsync(_root.Sub("log"));

    protected override async ValueTask<ILogStore> ReopenStoreAsync(ILogStore store)
    {
        var (log, neighbour) = _logs[store];
        _logs.Remove(store);
        await AppendNeighbourAsync(neighbour);
        await store.DisposeAsync();
        await log.DisposeAsync();
        return await OpenAsync(log.Directory);
    }

    protected override async Task CleanupAsync()
    {
        foreach (var (log, _) in _logs.Values)
        {
            await log.DisposeAsync();
        }

        _root.Dispose();
    }

    private async Task<ILogStore> OpenAsync(string directory)
    {
        var log = await SharedLog.OpenAsync(directory, FileLogStoreConformanceTests.SmallSegments);
        var neighbour = log.OpenGroup(Neighbour);
        Assert.Equal(_neighbourIndex, neighbour.LastIndex);
        await AppendNeighbourAsync(neighbour);
        var store = log.OpenGroup(Group);
        _logs[store] = (log, neighbour);
        return store;
    }

    private async Task AppendNeighbourAsync(ILogStore neighbour)
    {
        await neighbour.AppendAsync(new LogBatch(MakeEntries(_neighbourIndex + 1, _neighbourIndex + 3, 1, 100), null));
        _neighbourIndex += 3;
    }
}
