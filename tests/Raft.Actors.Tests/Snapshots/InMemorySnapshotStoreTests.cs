using Raft.Actors.Snapshots;

namespace Raft.Actors.Tests.Snapshots;

public sealed class InMemorySnapshotStoreTests : SnapshotStoreContract
{
    private InMemorySnapshotStore? _store;
    private InMemorySnapshotStore? _follower;

    protected override ISnapshotStore Store(int retain = FileSnapshotStoreOptions.DefaultRetain) =>
        _store ??= new InMemorySnapshotStore(SmallChunks, retain);

    protected override ISnapshotStore FollowerStore() => _follower ??= new InMemorySnapshotStore(SmallChunks);
}
