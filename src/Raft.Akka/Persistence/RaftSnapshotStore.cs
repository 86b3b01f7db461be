using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Snapshot;
using Raft.Actors.Services;

namespace Raft.Akka.Persistence;

/// <summary>
/// <c>akka.persistence.snapshot-store.raft</c>: snapshots kept in the replicated key-value store
/// of the group the persistence id hashes to, one key per (id, sequence number)
/// (<see cref="PersistenceKeys"/>), serialized with the actor system's serialization. A save is
/// acknowledged once committed on a majority; a load picks the newest snapshot the criteria
/// select, reading linearizably.
/// </summary>
/// <remarks>
/// Each snapshot is one log entry, so it should stay well below the log's frame limit (16 MiB);
/// large state belongs in events. Settings: <c>key-prefix</c> (default <c>"akka/"</c>).
/// </remarks>
public sealed class RaftSnapshotStore : SnapshotStore
{
    private readonly PersistenceStore _store;

    /// <summary>Created by Akka.Persistence with the plugin's configuration section.</summary>
    public RaftSnapshotStore(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _store = new PersistenceStore(Context.System, config);
    }

    /// <inheritdoc />
    protected override async Task<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        if (criteria.MaxSequenceNr < criteria.MinSequenceNr)
        {
            return null;
        }

        (KvEntry Entry, StoredPayload Stored)? latest = null;
        await foreach (var entry in Range(persistenceId, criteria).ScanAsync(Kv(persistenceId), long.MaxValue, cancellationToken).ConfigureAwait(false))
        {
            var stored = StoredPayload.FromBytes(entry.Value);
            if (Selects(criteria, stored))
            {
                latest = (entry, stored);
            }
        }

        if (latest is not { } found)
        {
            return null;
        }

        var metadata = new SnapshotMetadata(persistenceId, PersistenceKeys.SequenceNrOf(found.Entry.Key), new DateTime(found.Stored.Timestamp, DateTimeKind.Utc));
        return new SelectedSnapshot(metadata, found.Stored.Deserialize(_store.System));
    }

    /// <inheritdoc />
    protected override Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var stored = StoredPayload.Of(_store.System, snapshot, "", "", metadata.Timestamp.Ticks);
        return Kv(metadata.PersistenceId).PutAsync(_store.Keys.Snapshot(metadata.PersistenceId, metadata.SequenceNr), stored.ToBytes(), cancellationToken: cancellationToken);
    }

    /// <inheritdoc />
    protected override Task DeleteAsync(SnapshotMetadata metadata, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return Kv(metadata.PersistenceId).DeleteAsync(_store.Keys.Snapshot(metadata.PersistenceId, metadata.SequenceNr), cancellationToken: cancellationToken);
    }

    /// <inheritdoc />
    protected override Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        if (criteria.MaxSequenceNr < criteria.MinSequenceNr)
        {
            return Task.CompletedTask;
        }

        return Range(persistenceId, criteria).DeleteAsync(Kv(persistenceId), entry => Selects(criteria, StoredPayload.FromBytes(entry.Value)), cancellationToken);
    }

    private static bool Selects(SnapshotSelectionCriteria criteria, StoredPayload stored) =>
        stored.Timestamp <= criteria.MaxTimeStamp.Ticks && stored.Timestamp >= (criteria.MinTimestamp ?? DateTime.MinValue).Ticks;

    private KeyRange Range(string persistenceId, SnapshotSelectionCriteria criteria) =>
        new(_store.Keys.Snapshot(persistenceId, criteria.MinSequenceNr), PersistenceKeys.After(_store.Keys.Snapshot(persistenceId, criteria.MaxSequenceNr)));

    private IReplicatedKv Kv(string persistenceId) => _store.KvOf(persistenceId);
}
