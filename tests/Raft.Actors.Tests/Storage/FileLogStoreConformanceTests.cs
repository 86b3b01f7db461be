using Raft.Actors.Storage;
using Raft.Actors.Testing.Conformance;

namespace Raft.Actors.Tests.Storage;

/// <summary>The conformance kit on small (64 KiB) segments, so that rollover and segment deletion happen.</summary>
public sealed class FileLogStoreConformanceTests : LogStoreConformance
{
    private readonly StorageTestDirectory _root = new("conformance");

    internal static FileLogStoreOptions SmallSegments => new() { SegmentSize = FileLogStoreOptions.MinSegmentSize };

    protected override bool SupportsReopen => true;

    protected override async ValueTask<ILogStore> CreateStoreAsync() =>
        await FileLogStore.OpenAsync(_root.Sub("log"), SmallSegments);

    protected override async ValueTask<ILogStore> ReopenStoreAsync(ILogStore store)
    {
        var directory = ((FileLogStore)store).Directory;
        await store.DisposeAsync();
        return await FileLogStore.OpenAsync(directory, SmallSegments);
    }

    protected override Task CleanupAsync()
    {
        _root.Dispose();
        return Task.CompletedTask;
    }
}
