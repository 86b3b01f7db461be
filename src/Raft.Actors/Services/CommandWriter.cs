using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Raft.Actors.Services;

/// <summary>
/// Writes the binary form of service commands, queries and results: little-endian integers,
/// strings as an int32 UTF-8 length and the bytes, byte strings as an int32 length (−1 = null)
/// and the bytes.
/// </summary>
internal sealed class CommandWriter
{
    private readonly ArrayBufferWriter<byte> _buffer;

    public CommandWriter(int initialCapacity = 64) => _buffer = new ArrayBufferWriter<byte>(initialCapacity);

    public CommandWriter(ServiceOp op)
        : this()
    {
        WriteByte((byte)op);
    }

    public CommandWriter WriteByte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
        return this;
    }

    public CommandWriter WriteBool(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    public CommandWriter WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
        return this;
    }

    public CommandWriter WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
        return this;
    }

    public CommandWriter WriteString(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteInt32(length);
        Encoding.UTF8.GetBytes(value, _buffer.GetSpan(length));
        _buffer.Advance(length);
        return this;
    }

    public CommandWriter WriteOptionalString(string? value) => value is null ? WriteInt32(-1) : WriteString(value);

    public CommandWriter WriteBytes(ReadOnlySpan<byte> value)
    {
        WriteInt32(value.Length);
        _buffer.Write(value);
        return this;
    }

    public CommandWriter WriteOptionalBytes(ReadOnlyMemory<byte>? value) => value is { } bytes ? WriteBytes(bytes.Span) : WriteInt32(-1);

    // Not left to the implicit conversion to ReadOnlyMemory<byte>?: it turns a null array into an empty value.
    public CommandWriter WriteOptionalBytes(byte[]? value) => value is null ? WriteInt32(-1) : WriteBytes(value);

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
}
