using System.Buffers.Binary;
using System.Text;

namespace Raft.Actors.Services;

/// <summary>
/// Reads what <see cref="CommandWriter"/> wrote. Every malformed input (truncated, a bad
/// length, trailing bytes) is a <see cref="FormatException"/> and nothing else, so the state
/// machine can answer it instead of faulting the replica.
/// </summary>
internal ref struct CommandReader(ReadOnlySpan<byte> bytes)
{
    private readonly ReadOnlySpan<byte> _bytes = bytes;
    private int _at;

    public byte ReadByte() => Take(1)[0];

    public bool ReadBool() => ReadByte() switch
    {
        0 => false,
        1 => true,
        var b => throw new FormatException($"Not a boolean: {b}."),
    };

    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    public string ReadString() => ReadOptionalString() ?? throw new FormatException("A required string is null.");

    public string? ReadOptionalString()
    {
        var length = ReadInt32();
        return length == -1 ? null : Encoding.UTF8.GetString(Take(Length(length)));
    }

    public byte[] ReadBytes() => ReadOptionalBytes() ?? throw new FormatException("A required byte string is null.");

    public byte[]? ReadOptionalBytes()
    {
        var length = ReadInt32();
        return length == -1 ? null : Take(Length(length)).ToArray();
    }

    /// <summary>Throws unless every byte was read.</summary>
    public readonly void EnsureEnd()
    {
        if (_at != _bytes.Length)
        {
            throw new FormatException($"{_bytes.Length - _at} trailing bytes.");
        }
    }

    private readonly int Length(int length) =>
        length < 0 || length > _bytes.Length - _at ? throw new FormatException($"Bad length {length} with {_bytes.Length - _at} bytes left.") : length;

    private ReadOnlySpan<byte> Take(int count)
    {
        if (_bytes.Length - _at < count)
        {
            throw new FormatException($"Truncated: {count} bytes wanted at offset {_at} of {_bytes.Length}.");
        }

        var span = _bytes.Slice(_at, count);
        _at += count;
        return span;
    }
}
