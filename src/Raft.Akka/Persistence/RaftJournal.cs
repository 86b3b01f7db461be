using System.Buffers.Binary;
using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Raft.Actors.Services;

namespace Raft.Akka.Persistence;

/// <summary>
/// <c>akka.persistence.journal.raft</c>: a journal whose writes are committed through Raft, so
/// a <see cref="PersistentActor"/>'s events are replicated on every member node with no
/// database. Events live in the replicated key-value store of the group the persistence id
/// hashes to (<see cref="PersistenceKeys"/>); each <see cref="AtomicWrite"/> is one
/// <see cref="IReplicatedKv.BatchAsync"/>, so one log entry: all of its events or none.
/// </summary>
/// <remarks>
/// <para>A write is acknowledged once committed on a majority and applied. A write that fails
/// with an unknown outcome (a leader lost mid-way) fails the persist; it may still have been
/// stored, and the actor finds out when it replays.</para>
/// <para>The highest sequence number is kept under its own key that deletes never touch, so it
/// never decreases. Replays read with ReadIndex through the leader (linearizable).</para>
/// <para>Settings (under the plugin's section): <c>key-prefix</c> (default <c>"akka/"</c>).</para>
/// </remarks>
public sealed class RaftJournal : AsyncWriteJournal
{
    private readonly PersistenceStore _store;

    /// <summary>Created by Akka.Persistence with the plugin's configuration section.</summary>
    public RaftJournal(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _store = new PersistenceStore(Context.System, config);
    }

    /// <inheritdoc />
    protected override async Task<IImmutableList<Exception>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        var writes = messages.ToArray();
        var results = new Exception?[writes.Length];

        // Writes of one persistence id go in order; different ids go in parallel.
        var byId = writes.Select((write, index) => (write, index)).GroupBy(w => w.write.PersistenceId);
        await Task.WhenAll(byId.Select(async writesOfId =>
        {
            foreach (var (write, index) in writesOfId)
            {
                results[index] = await WriteAsync(write, cancellationToken).ConfigureAwait(false);
            }
        })).ConfigureAwait(false);
        return [.. results.Select(r => r!)];
    }

    /// <inheritdoc />
    public override async Task ReplayMessagesAsync(IActorContext context, string persistenceId, long fromSequenceNr, long toSequenceNr, long max, Action<IPersistentRepresentation> recoveryCallback)
    {
        ArgumentNullException.ThrowIfNull(recoveryCallback);
        if (max <= 0 || toSequenceNr < fromSequenceNr)
        {
            return;
        }

        var range = new KeyRange(_store.Keys.Event(persistenceId, fromSequenceNr), PersistenceKeys.After(_store.Keys.Event(persistenceId, toSequenceNr)));
        await foreach (var entry in range.ScanAsync(Kv(persistenceId), max).ConfigureAwait(false))
        {
            var stored = StoredPayload.FromBytes(entry.Value);
            recoveryCallback(new Persistent(
                stored.Deserialize(_store.System),
                PersistenceKeys.SequenceNrOf(entry.Key),
                persistenceId,
                stored.EventManifest,
                isDeleted: false,
                ActorRefs.NoSender,
                stored.WriterGuid,
                stored.Timestamp));
        }
    }

    /// <inheritdoc />
    public override async Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr, CancellationToken cancellationToken)
    {
        var value = await Kv(persistenceId).GetAsync(_store.Keys.Highest(persistenceId), cancellationToken).ConfigureAwait(false);
        return value is { Length: 8 } ? BinaryPrimitives.ReadInt64LittleEndian(value) : 0;
    }

    /// <inheritdoc />
    protected override Task DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken)
    {
        var range = new KeyRange(_store.Keys.Event(persistenceId, 0), PersistenceKeys.After(_store.Keys.Event(persistenceId, toSequenceNr)));
        return range.DeleteAsync(Kv(persistenceId), static _ => true, cancellationToken);
    }

    private IReplicatedKv Kv(string persistenceId) => _store.KvOf(persistenceId);

    /// <summary>Stores one atomic write as one batch; returns the reason it was rejected (not stored), or null once stored.</summary>
    private async Task<Exception?> WriteAsync(AtomicWrite write, CancellationToken cancellationToken)
    {
        var events = (IImmutableList<IPersistentRepresentation>)write.Payload;
        var operations = new List<KvOperation>(events.Count + 1);

        // Akka hands events to the journal without a timestamp; the journal stamps them (UTC ticks).
        var stamp = DateTime.UtcNow.Ticks;
        try
        {
            foreach (var e in events)
            {
                var payload = e.Payload is Tagged tagged ? tagged.Payload : e.Payload;
                var stored = StoredPayload.Of(_store.System, payload, e.WriterGuid ?? "", e.Manifest ?? "", e.Timestamp != 0 ? e.Timestamp : stamp);
                operations.Add(KvOperation.Put(_store.Keys.Event(e.PersistenceId, e.SequenceNr), stored.ToBytes()));
            }
        }
        catch (Exception ex)
        {
            // A payload the serializer refused: the write is rejected and nothing of it is stored.
            return ex;
        }

        var highest = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(highest, write.HighestSequenceNr);
        operations.Add(KvOperation.Put(_store.Keys.Highest(write.PersistenceId), highest));
        await Kv(write.PersistenceId).BatchAsync(operations, cancellationToken: cancellationToken).ConfigureAwait(false);
        return null;
    }
}
