using Akka.Persistence;

namespace Raft.Akka.Tests.Persistence;

/// <summary>The cases of Akka.Persistence.TCK's SnapshotStoreSpec, ported by hand.</summary>
public sealed class RaftSnapshotStoreSpecTests(PersistenceCluster fixture) : IClassFixture<PersistenceCluster>
{
    private static readonly TimeSpan s_wait = PersistenceCluster.Wait;
    private static readonly DateTime s_epoch = new(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly string _pid = "s-" + Guid.NewGuid().ToString("N");

    [Fact(Timeout = 60_000)]
    public async Task Loads_nothing_for_an_unknown_persistence_id()
    {
        await SaveFiveAsync();
        Assert.Null(Load("unknown-" + _pid, SnapshotSelectionCriteria.Latest));
    }

    [Fact(Timeout = 60_000)]
    public async Task Loads_nothing_when_no_snapshot_matches_the_criteria()
    {
        await SaveFiveAsync();
        Assert.Null(Load(_pid, new SnapshotSelectionCriteria(long.MaxValue, s_epoch.AddSeconds(0.5))));
        Assert.Null(Load(_pid, new SnapshotSelectionCriteria(long.MaxValue, DateTime.MaxValue, 6, null)));
        Assert.Null(Load(_pid, new SnapshotSelectionCriteria(0)));
    }

    [Fact(Timeout = 60_000)]
    public async Task Loads_the_most_recent_snapshot()
    {
        var saved = await SaveFiveAsync();
        var loaded = Load(_pid, SnapshotSelectionCriteria.Latest);
        Assert.NotNull(loaded);
        Assert.Equal(("s-5", saved[4].SequenceNr, saved[4].Timestamp), ((string)loaded.Snapshot, loaded.Metadata.SequenceNr, loaded.Metadata.Timestamp));
    }

    [Fact(Timeout = 60_000)]
    public async Task Loads_the_most_recent_snapshot_within_sequence_and_timestamp_bounds()
    {
        var saved = await SaveFiveAsync();
        Assert.Equal("s-3", Load(_pid, new SnapshotSelectionCriteria(3))?.Snapshot);
        Assert.Equal("s-3", Load(_pid, SnapshotSelectionCriteria.Latest, toSequenceNr: 3)?.Snapshot);
        Assert.Equal("s-3", Load(_pid, new SnapshotSelectionCriteria(long.MaxValue, saved[2].Timestamp))?.Snapshot);
        Assert.Equal("s-2", Load(_pid, new SnapshotSelectionCriteria(4, saved[1].Timestamp))?.Snapshot);
        Assert.Equal("s-4", Load(_pid, new SnapshotSelectionCriteria(4, DateTime.MaxValue, 2, saved[1].Timestamp))?.Snapshot);
    }

    [Fact(Timeout = 60_000)]
    public async Task Deletes_a_single_snapshot_identified_by_its_sequence_number()
    {
        var saved = await SaveFiveAsync();
        var probe = fixture.Probe();
        fixture.SnapshotStore.Tell(new DeleteSnapshot(saved[2]), probe.Ref);
        probe.ExpectMsg<DeleteSnapshotSuccess>(s_wait);
        Assert.Equal("s-2", Load(_pid, new SnapshotSelectionCriteria(3))?.Snapshot);
        Assert.Equal("s-5", Load(_pid, SnapshotSelectionCriteria.Latest)?.Snapshot);
    }

    [Fact(Timeout = 60_000)]
    public async Task Deletes_every_snapshot_matching_the_criteria()
    {
        var saved = await SaveFiveAsync();
        var probe = fixture.Probe();
        var criteria = new SnapshotSelectionCriteria(saved[2].SequenceNr, saved[2].Timestamp);
        fixture.SnapshotStore.Tell(new DeleteSnapshots(_pid, criteria), probe.Ref);
        probe.ExpectMsg<DeleteSnapshotsSuccess>(s_wait);
        Assert.Null(Load(_pid, new SnapshotSelectionCriteria(3)));
        Assert.Equal("s-4", Load(_pid, new SnapshotSelectionCriteria(4))?.Snapshot);
    }

    [Fact(Timeout = 60_000)]
    public async Task Overwrites_a_snapshot_saved_again_at_the_same_sequence_number()
    {
        var saved = await SaveFiveAsync();
        Save(new SnapshotMetadata(_pid, 5, saved[4].Timestamp.AddSeconds(10)), "s-5 again");
        var loaded = Load(_pid, SnapshotSelectionCriteria.Latest);
        Assert.Equal(("s-5 again", 5L), ((string?)loaded?.Snapshot, loaded?.Metadata.SequenceNr));
    }

    private async Task<SnapshotMetadata[]> SaveFiveAsync()
    {
        await Task.Yield();
        return [.. Enumerable.Range(1, 5).Select(i => Save(new SnapshotMetadata(_pid, i, s_epoch.AddSeconds(i)), $"s-{i}"))];
    }

    private SnapshotMetadata Save(SnapshotMetadata metadata, string snapshot)
    {
        var probe = fixture.Probe();
        fixture.SnapshotStore.Tell(new SaveSnapshot(metadata, snapshot), probe.Ref);
        return probe.ExpectMsg<SaveSnapshotSuccess>(s_wait).Metadata;
    }

    private SelectedSnapshot? Load(string pid, SnapshotSelectionCriteria criteria, long toSequenceNr = long.MaxValue)
    {
        var probe = fixture.Probe();
        fixture.SnapshotStore.Tell(new LoadSnapshot(pid, criteria, toSequenceNr), probe.Ref);
        return probe.ExpectMsg<LoadSnapshotResult>(s_wait).Snapshot;
    }
}
