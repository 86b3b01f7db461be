using System.Buffers.Binary;
using System.Text;

namespace Raft.Actors.StateMachines;

/// <summary>The operations of <see cref="KvStateMachine"/>.</summary>
public enum KvCommandType : byte
{
    /// <summary>Read a key (as a query, or as a command for a read through the log).</summary>
    Get = 1,

    /// <summary>Set a key.</summary>
    Put = 2,

    /// <summary>Set a key only if its current value equals the expected one (null = absent).</summary>
    CompareAndSet = 3,

    /// <summary>Remove a key.</summary>
    Delete = 4,
}

/// <summary>A KV command and its binary form: op, key, value, expected (length-prefixed UTF-8; -1 = null).</summary>
public sealed record KvCommand(KvCommandType Operation, string Key, string? Value = null, string? Expected = null)
{
    /// <summary>Encodes the command.</summary>
    public byte[] Encode()
    {
        var size = 1 + FieldSize(Key) + FieldSize(Value) + FieldSize(Expected);
        var buffer = new byte[size];
        buffer[0] = (byte)Operation;
        var at = 1;
        at = WriteField(buffer, at, Key);
        at = WriteField(buffer, at, Value);
        WriteField(buffer, at, Expected);
        return buffer;
    }

    /// <summary>Decodes a command; throws <see cref="FormatException"/> on malformed bytes.</summary>
    public static KvCommand Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 1 || bytes[0] is < (byte)KvCommandType.Get or > (byte)KvCommandType.Delete)
        {
            throw new FormatException("Not a KV command: unknown operation.");
        }

        var op = (KvCommandType)bytes[0];
        var at = 1;
        var key = ReadField(bytes, ref at) ?? throw new FormatException("KV command without a key.");
        var value = ReadField(bytes, ref at);
        var expected = ReadField(bytes, ref at);
        if (at != bytes.Length)
        {
            throw new FormatException("KV command has trailing bytes.");
        }

        return new KvCommand(op, key, value, expected);
    }

    private static int FieldSize(string? s) => 4 + (s is null ? 0 : Encoding.UTF8.GetByteCount(s));

    private static int WriteField(byte[] buffer, int at, string? s)
    {
        if (s is null)
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(at), -1);
            return at + 4;
        }

        var n = Encoding.UTF8.GetBytes(s, buffer.AsSpan(at + 4));
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(at), n);
        return at + 4 + n;
    }

    private static string? ReadField(ReadOnlySpan<byte> bytes, ref int at)
    {
        if (bytes.Length - at < 4)
        {
            throw new FormatException("KV command is truncated.");
        }

        var n = BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
        at += 4;
        if (n == -1)
        {
            return null;
        }

        if (n < 0 || n > bytes.Length - at)
        {
            throw new FormatException("KV command has a bad field length.");
        }

        var s = Encoding.UTF8.GetString(bytes.Slice(at, n));
        at += n;
        return s;
    }
}
