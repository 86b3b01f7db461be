using Raft.Actors.Storage;
using Raft.Actors.Testing.Conformance;

namespace Raft.Actors.Tests.Storage;

public sealed class InMemoryLogStoreConformanceTests : LogStoreConformance
{
    protected override ValueTask<ILogStore> CreateStoreAsync() => ValueTask.FromResult<ILogStore>(new InMemoryLogStore());
}
