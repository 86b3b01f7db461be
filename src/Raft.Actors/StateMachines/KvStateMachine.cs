using System.Text;
using Raft.Actors.Protocol;

namespace Raft.Actors.StateMachines;

/// <summary>
/// A string key-value register with compare-and-set. Results: Get returns the value (a
/// <see cref="KvResult"/>), Put returns nothing, CompareAndSet returns whether it swapped.
/// </summary>
public sealed class KvStateMachine : IRaftStateMachine
{
    private readonly Dictionary<string, string> _values = [];

    /// <summary>Number of keys held.</summary>
    public int Count => _values.Count;

    /// <summary>Reads a key directly (not linearizable by itself: use after a read index).</summary>
    public string? Get(string key) => _values.GetValueOrDefault(key);

    /// <inheritdoc />
    public ReadOnlyMemory<byte> Apply(Entry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var command = KvCommand.Decode(entry.Data.Span);
        switch (command.Operation)
        {
            case KvCommandType.Put:
                _values[command.Key] = command.Value ?? throw new FormatException("Put without a value.");
                return KvResult.Ok;
            case KvCommandType.Delete:
                return _values.Remove(command.Key) ? KvResult.True : KvResult.False;
            case KvCommandType.CompareAndSet:
                var current = _values.GetValueOrDefault(command.Key);
                if (current != command.Expected)
                {
                    return KvResult.False;
                }

                if (command.Value is null)
                {
                    _values.Remove(command.Key);
                }
                else
                {
                    _values[command.Key] = command.Value;
                }

                return KvResult.True;
            default:
                return KvResult.Value(Get(command.Key));
        }
    }

    /// <inheritdoc />
    public ReadOnlyMemory<byte> Query(ReadOnlyMemory<byte> query) => KvResult.Value(Get(KvCommand.Decode(query.Span).Key));

    /// <inheritdoc />
    public IStateMachineSnapshot TakeSnapshot() => new Snapshot(_values.ToArray());

    /// <inheritdoc />
    public void Restore(Stream snapshot)
    {
        using var reader = new BinaryReader(snapshot, Encoding.UTF8, leaveOpen: true);
        var count = reader.ReadInt32();
        if (count < 0)
        {
            throw new InvalidDataException($"KV snapshot claims {count} keys.");
        }

        _values.Clear();
        for (var i = 0; i < count; i++)
        {
            var key = reader.ReadString();
            _values[key] = reader.ReadString();
        }
    }

    private sealed class Snapshot(KeyValuePair<string, string>[] values) : IStateMachineSnapshot
    {
        public void WriteTo(Stream destination)
        {
            using var writer = new BinaryWriter(destination, Encoding.UTF8, leaveOpen: true);
            writer.Write(values.Length);
            foreach (var (key, value) in values)
            {
                writer.Write(key);
                writer.Write(value);
            }
        }

        public void Dispose()
        {
        }
    }
}

/// <summary>Encodings of <see cref="KvStateMachine"/> results.</summary>
public static class KvResult
{
    /// <summary>Success with no value.</summary>
    public static ReadOnlyMemory<byte> Ok { get; } = new byte[] { 1 };

    /// <summary>A true condition (CAS swapped, key deleted).</summary>
    public static ReadOnlyMemory<byte> True { get; } = new byte[] { 1 };

    /// <summary>A false condition.</summary>
    public static ReadOnlyMemory<byte> False { get; } = new byte[] { 0 };

    /// <summary>A value, or absent: [0] = absent, [1, utf8...] = present.</summary>
    public static ReadOnlyMemory<byte> Value(string? value) =>
        value is null ? new byte[] { 0 } : [1, .. Encoding.UTF8.GetBytes(value)];

    /// <summary>Decodes <see cref="Value"/>.</summary>
    public static string? ReadValue(ReadOnlySpan<byte> result) =>
        result.Length == 0 || result[0] == 0 ? null : Encoding.UTF8.GetString(result[1..]);

    /// <summary>Decodes <see cref="True"/> / <see cref="False"/>.</summary>
    public static bool ReadBool(ReadOnlySpan<byte> result) => result.Length > 0 && result[0] == 1;
}
