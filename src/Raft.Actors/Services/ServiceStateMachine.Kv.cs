namespace Raft.Actors.Services;

public sealed partial class ServiceStateMachine
{
    private readonly Dictionary<string, byte[]> _values = new(StringComparer.Ordinal);

    // Keys in ordinal (UTF-16 code unit) order, for scans. Stored values are never mutated, so a
    // snapshot may share them.
    private readonly SortedSet<string> _keys = new(StringComparer.Ordinal);

    /// <summary>Number of keys held.</summary>
    public int KeyCount => _values.Count;

    private byte[] KvGet(ref CommandReader reader)
    {
        var key = reader.ReadString();
        reader.EnsureEnd();
        return ServiceResult.Begin().WriteOptionalBytes(_values.GetValueOrDefault(key)).ToArray();
    }

    private byte[] KvScan(ref CommandReader reader)
    {
        var start = reader.ReadString();
        var end = reader.ReadOptionalString();
        var prefix = reader.ReadOptionalString();
        var limit = reader.ReadInt32();
        reader.EnsureEnd();
        if (limit <= 0)
        {
            return ServiceResult.Error(ServiceStatus.Invalid, $"A scan limit must be positive (was {limit}).");
        }

        var found = new List<string>();
        if (_keys.Count > 0 && string.CompareOrdinal(start, _keys.Max) <= 0)
        {
            foreach (var key in _keys.GetViewBetween(start, _keys.Max!))
            {
                // Keys sharing a prefix are contiguous in ordinal order: the first one past it ends the scan.
                if (found.Count == limit || (end is not null && string.CompareOrdinal(key, end) >= 0) || (prefix is not null && !key.StartsWith(prefix, StringComparison.Ordinal)))
                {
                    break;
                }

                found.Add(key);
            }
        }

        var result = ServiceResult.Begin().WriteInt32(found.Count);
        foreach (var key in found)
        {
            result.WriteString(key).WriteBytes(_values[key]);
        }

        return result.ToArray();
    }

    private byte[] KvWrite(ServiceOp op, ref CommandReader reader)
    {
        var fence = ReadFence(ref reader);
        var key = reader.ReadString();
        var value = op == ServiceOp.KvDelete ? null : reader.ReadBytes();
        var expected = op == ServiceOp.KvCompareAndPut ? reader.ReadOptionalBytes() : null;
        reader.EnsureEnd();
        if (RejectFence(fence) is { } rejected)
        {
            return rejected;
        }

        var current = _values.GetValueOrDefault(key);
        switch (op)
        {
            case ServiceOp.KvPut:
                Set(key, value!);
                return ServiceResult.Ok();
            case ServiceOp.KvDelete:
                return ServiceResult.Begin().WriteBool(Remove(key)).ToArray();
            case ServiceOp.KvPutIfAbsent:
                if (current is null)
                {
                    Set(key, value!);
                }

                return ServiceResult.Begin().WriteOptionalBytes(current).ToArray();
            case ServiceOp.KvCompareAndPut:
                var matches = Matches(current, expected);
                if (matches)
                {
                    Set(key, value!);
                }

                return ServiceResult.Begin().WriteBool(matches).ToArray();
            default:
                Set(key, value!);
                return ServiceResult.Begin().WriteOptionalBytes(current).ToArray();
        }
    }

    /// <summary>
    /// Applies every operation in order, each seeing the ones before it, or none: at the first
    /// compare that fails, what the batch had done is undone and the failing position returned.
    /// </summary>
    private byte[] KvBatch(ref CommandReader reader)
    {
        var fence = ReadFence(ref reader);
        var count = reader.ReadInt32();
        if (count < 0)
        {
            throw new FormatException($"A batch of {count} operations.");
        }

        var operations = new List<(ServiceOp Op, string Key, byte[]? Value, byte[]? Expected)>(Math.Min(count, 1024));
        for (var i = 0; i < count; i++)
        {
            var op = (ServiceOp)reader.ReadByte();
            if (op is not (ServiceOp.KvPut or ServiceOp.KvDelete or ServiceOp.KvCompareAndPut))
            {
                throw new FormatException($"Operation {(byte)op} cannot be part of a batch.");
            }

            var key = reader.ReadString();
            var value = op == ServiceOp.KvDelete ? null : reader.ReadBytes();
            var expected = op == ServiceOp.KvCompareAndPut ? reader.ReadOptionalBytes() : null;
            operations.Add((op, key, value, expected));
        }

        reader.EnsureEnd();
        if (RejectFence(fence) is { } rejected)
        {
            return rejected;
        }

        var undo = new List<(string Key, byte[]? Before)>(operations.Count);
        for (var i = 0; i < operations.Count; i++)
        {
            var (op, key, value, expected) = operations[i];
            var current = _values.GetValueOrDefault(key);
            if (op == ServiceOp.KvCompareAndPut && !Matches(current, expected))
            {
                for (var u = undo.Count - 1; u >= 0; u--)
                {
                    if (undo[u].Before is { } before)
                    {
                        Set(undo[u].Key, before);
                    }
                    else
                    {
                        Remove(undo[u].Key);
                    }
                }

                return ServiceResult.Begin().WriteInt32(i).ToArray();
            }

            undo.Add((key, current));
            if (op == ServiceOp.KvDelete)
            {
                Remove(key);
            }
            else
            {
                Set(key, value!);
            }
        }

        return ServiceResult.Begin().WriteInt32(-1).ToArray();
    }

    private static bool Matches(byte[]? current, byte[]? expected) =>
        current is null ? expected is null : expected is not null && current.AsSpan().SequenceEqual(expected);

    private void Set(string key, byte[] value)
    {
        if (_values.TryAdd(key, value))
        {
            _keys.Add(key);
        }
        else
        {
            _values[key] = value;
        }
    }

    private bool Remove(string key) => _values.Remove(key) && _keys.Remove(key);
}
