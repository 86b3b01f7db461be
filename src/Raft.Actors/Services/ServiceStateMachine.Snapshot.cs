using System.Text;
using Raft.Actors.StateMachines;

namespace Raft.Actors.Services;

public sealed partial class ServiceStateMachine
{
    private const int SnapshotFormat = 1;

    /// <summary>
    /// Copies the whole state (keys and values, every lock with its token, holds and times, every
    /// sequence) in name order, so equal states write equal bytes. Values are shared, not copied:
    /// the machine never changes a stored value in place.
    /// </summary>
    public IStateMachineSnapshot TakeSnapshot()
    {
        var values = new KeyValuePair<string, byte[]>[_keys.Count];
        var i = 0;
        foreach (var key in _keys)
        {
            values[i++] = new(key, _values[key]);
        }

        var locks = _locks.Select(l => (Name: l.Key, l.Value.Owner, l.Value.Token, l.Value.Holds, l.Value.ExpiresAt, l.Value.LastStamp)).ToArray();
        Array.Sort(locks, (a, b) => string.CompareOrdinal(a.Name, b.Name));
        var sequences = (PlantedBugs & ServicePlantedBug.SequencesNotSnapshotted) != 0 ? [] : _sequences.ToArray();
        Array.Sort(sequences, (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return new Snapshot(values, locks, sequences);
    }

    /// <inheritdoc />
    public void Restore(Stream snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        using var reader = new BinaryReader(snapshot, Encoding.UTF8, leaveOpen: true);
        var format = reader.ReadInt32();
        if (format != SnapshotFormat)
        {
            throw new InvalidDataException($"Unknown service snapshot format {format}.");
        }

        _values.Clear();
        _keys.Clear();
        _locks.Clear();
        _sequences.Clear();
        for (var i = Count(reader, "keys"); i > 0; i--)
        {
            var key = reader.ReadString();
            var length = reader.ReadInt32();
            var value = length >= 0 ? reader.ReadBytes(length) : [];
            if (value.Length != length)
            {
                throw new InvalidDataException($"Service snapshot: value of key '{key}' claims {length} bytes but has {value.Length}.");
            }

            Set(key, value);
        }

        for (var i = Count(reader, "locks"); i > 0; i--)
        {
            var name = reader.ReadString();
            _locks[name] = new LockRecord
            {
                Owner = reader.ReadBoolean() ? reader.ReadString() : null,
                Token = reader.ReadInt64(),
                Holds = reader.ReadInt32(),
                ExpiresAt = reader.ReadInt64(),
                LastStamp = reader.ReadInt64(),
            };
        }

        for (var i = Count(reader, "sequences"); i > 0; i--)
        {
            _sequences[reader.ReadString()] = reader.ReadInt64();
        }
    }

    private static int Count(BinaryReader reader, string what)
    {
        var count = reader.ReadInt32();
        return count >= 0 ? count : throw new InvalidDataException($"Service snapshot claims {count} {what}.");
    }

    private sealed class Snapshot(
        KeyValuePair<string, byte[]>[] values,
        (string Name, string? Owner, long Token, int Holds, long ExpiresAt, long LastStamp)[] locks,
        KeyValuePair<string, long>[] sequences) : IStateMachineSnapshot
    {
        public void WriteTo(Stream destination)
        {
            using var writer = new BinaryWriter(destination, Encoding.UTF8, leaveOpen: true);
            writer.Write(SnapshotFormat);
            writer.Write(values.Length);
            foreach (var (key, value) in values)
            {
                writer.Write(key);
                writer.Write(value.Length);
                writer.Write(value);
            }

            writer.Write(locks.Length);
            foreach (var l in locks)
            {
                writer.Write(l.Name);
                writer.Write(l.Owner is not null);
                if (l.Owner is not null)
                {
                    writer.Write(l.Owner);
                }

                writer.Write(l.Token);
                writer.Write(l.Holds);
                writer.Write(l.ExpiresAt);
                writer.Write(l.LastStamp);
            }

            writer.Write(sequences.Length);
            foreach (var (name, next) in sequences)
            {
                writer.Write(name);
                writer.Write(next);
            }
        }

        public void Dispose()
        {
        }
    }
}
