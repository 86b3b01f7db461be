using System.Text;
using Raft.Actors.Protocol;
using Raft.Actors.StateMachines;

namespace Raft.Orleans.Storage;

/// <summary>
/// Grain state as a replicated register per key: a version and the serialized state. A write or
/// clear names the version it expects (0 = never written) and applies only on a match, which
/// bumps the version; the version is the grain's ETag. A clear keeps the key with its version
/// and no state, so versions never repeat and an ETag read before a clear can never match a
/// write made after it (no ABA).
/// </summary>
/// <remarks>
/// Deterministic: the outcome depends only on the commands applied before. A malformed command
/// is answered <see cref="GrainStateStatus.Malformed"/> and changes nothing (every replica would
/// fail on it alike, so it must not fault them). Called by one replica loop at a time.
/// Cleared keys stay as 8-byte tombstones for now.
/// </remarks>
internal sealed class GrainStateMachine : IRaftStateMachine
{
    private const int SnapshotFormat = 1;

    private readonly Dictionary<string, (ulong Version, byte[]? Data)> _records = new(StringComparer.Ordinal);

    /// <summary>Number of keys held, cleared ones included.</summary>
    public int Count => _records.Count;

    /// <inheritdoc />
    public ReadOnlyMemory<byte> Apply(Entry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        GrainStateOp op;
        string key;
        ulong expected;
        ReadOnlyMemory<byte> state;
        try
        {
            (op, key, expected, state) = GrainStateCommand.Decode(entry.Data);
        }
        catch (FormatException)
        {
            return GrainStateCommand.Outcome(GrainStateStatus.Malformed, 0);
        }

        if (op == GrainStateOp.Read)
        {
            return GrainStateCommand.Outcome(GrainStateStatus.Malformed, 0);
        }

        var current = _records.TryGetValue(key, out var record) ? record.Version : 0;
        if (expected != current)
        {
            return GrainStateCommand.Outcome(GrainStateStatus.VersionMismatch, current);
        }

        if (op == GrainStateOp.Clear && current == 0)
        {
            // Nothing was ever written: nothing to clear, and no version to start.
            return GrainStateCommand.Outcome(GrainStateStatus.Ok, 0);
        }

        _records[key] = (current + 1, op == GrainStateOp.Write ? state.ToArray() : null);
        return GrainStateCommand.Outcome(GrainStateStatus.Ok, current + 1);
    }

    /// <summary>Answers a read with the record (kind, version, state); a malformed query gets an empty answer (a throw here would stop the replica).</summary>
    public ReadOnlyMemory<byte> Query(ReadOnlyMemory<byte> query)
    {
        GrainStateOp op;
        string key;
        try
        {
            (op, key, _, _) = GrainStateCommand.Decode(query);
        }
        catch (FormatException)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        if (op != GrainStateOp.Read)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        return !_records.TryGetValue(key, out var record)
            ? GrainStateCommand.Record(GrainRecordKind.Missing, 0, default)
            : GrainStateCommand.Record(record.Data is null ? GrainRecordKind.Cleared : GrainRecordKind.Present, record.Version, record.Data);
    }

    /// <inheritdoc />
    public IStateMachineSnapshot TakeSnapshot() => new Snapshot([.. _records]);

    /// <inheritdoc />
    public void Restore(Stream snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        using var reader = new BinaryReader(snapshot, Encoding.UTF8, leaveOpen: true);
        var format = reader.ReadInt32();
        if (format != SnapshotFormat)
        {
            throw new InvalidDataException($"Unknown grain state snapshot format {format}.");
        }

        var count = reader.ReadInt32();
        if (count < 0)
        {
            throw new InvalidDataException($"Grain state snapshot claims {count} records.");
        }

        _records.Clear();
        for (var i = 0; i < count; i++)
        {
            var key = reader.ReadString();
            var version = reader.ReadUInt64();
            var length = reader.ReadInt32();
            _records[key] = (version, length < 0 ? null : reader.ReadBytes(length));
        }
    }

    /// <summary>Records are never mutated in place (a write stores a new array), so a snapshot may share them.</summary>
    private sealed class Snapshot(KeyValuePair<string, (ulong Version, byte[]? Data)>[] records) : IStateMachineSnapshot
    {
        public void WriteTo(Stream destination)
        {
            Array.Sort(records, (a, b) => string.CompareOrdinal(a.Key, b.Key));
            using var writer = new BinaryWriter(destination, Encoding.UTF8, leaveOpen: true);
            writer.Write(SnapshotFormat);
            writer.Write(records.Length);
            foreach (var (key, (version, data)) in records)
            {
                writer.Write(key);
                writer.Write(version);
                writer.Write(data?.Length ?? -1);
                if (data is not null)
                {
                    writer.Write(data);
                }
            }
        }

        public void Dispose()
        {
        }
    }
}
