using System.Buffers.Binary;
using System.Text;

namespace Raft.Orleans.Storage;

/// <summary>The operations of <see cref="GrainStateMachine"/>.</summary>
internal enum GrainStateOp : byte
{
    /// <summary>A query: the record's version and bytes.</summary>
    Read = 1,

    /// <summary>A command: replace the bytes if the version matches.</summary>
    Write = 2,

    /// <summary>A command: clear the record (keeping its version) if the version matches.</summary>
    Clear = 3,
}

/// <summary>What a write or clear did.</summary>
internal enum GrainStateStatus : byte
{
    /// <summary>Applied; the version is the record's new one.</summary>
    Ok = 0,

    /// <summary>Not applied: the expected version was not the record's; the version is the record's current one.</summary>
    VersionMismatch = 1,

    /// <summary>Not applied: the command could not be decoded.</summary>
    Malformed = 2,
}

/// <summary>How a record stands in <see cref="GrainStateMachine"/>.</summary>
internal enum GrainRecordKind : byte
{
    /// <summary>Never written (version 0).</summary>
    Missing = 0,

    /// <summary>Holds state.</summary>
    Present = 1,

    /// <summary>Cleared: no state, but the version goes on from where it was.</summary>
    Cleared = 2,
}

/// <summary>A record as a read returns it.</summary>
internal readonly record struct GrainRecord(GrainRecordKind Kind, ulong Version, ReadOnlyMemory<byte> Data);

/// <summary>A write's or clear's outcome.</summary>
internal readonly record struct GrainStateOutcome(GrainStateStatus Status, ulong Version);

/// <summary>
/// The bytes of <see cref="GrainStateMachine"/> commands, queries and results, little-endian:
/// <c>[op][key length:int32][key UTF-8][expected version:uint64]</c>, then for a write
/// <c>[state length:int32][state]</c>; a read is <c>[op][key length][key]</c>.
/// </summary>
internal static class GrainStateCommand
{
    public static byte[] Read(string key) => Build(GrainStateOp.Read, key, null, default);

    public static byte[] Write(string key, ulong expectedVersion, ReadOnlySpan<byte> state) => Build(GrainStateOp.Write, key, expectedVersion, state);

    public static byte[] Clear(string key, ulong expectedVersion) => Build(GrainStateOp.Clear, key, expectedVersion, default);

    public static byte[] Outcome(GrainStateStatus status, ulong version)
    {
        var bytes = new byte[9];
        bytes[0] = (byte)status;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(1), version);
        return bytes;
    }

    public static GrainStateOutcome ReadOutcome(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != 9 || bytes[0] > (byte)GrainStateStatus.Malformed)
        {
            throw new FormatException($"A grain state outcome of {bytes.Length} bytes is malformed.");
        }

        return new GrainStateOutcome((GrainStateStatus)bytes[0], BinaryPrimitives.ReadUInt64LittleEndian(bytes[1..]));
    }

    public static byte[] Record(GrainRecordKind kind, ulong version, ReadOnlySpan<byte> data)
    {
        var bytes = new byte[13 + data.Length];
        bytes[0] = (byte)kind;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(1), version);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(9), data.Length);
        data.CopyTo(bytes.AsSpan(13));
        return bytes;
    }

    public static GrainRecord ReadRecord(ReadOnlyMemory<byte> bytes)
    {
        var span = bytes.Span;
        if (span.Length < 13 || span[0] > (byte)GrainRecordKind.Cleared || BinaryPrimitives.ReadInt32LittleEndian(span[9..]) != span.Length - 13)
        {
            throw new FormatException($"A grain state record of {span.Length} bytes is malformed.");
        }

        return new GrainRecord((GrainRecordKind)span[0], BinaryPrimitives.ReadUInt64LittleEndian(span[1..]), bytes[13..]);
    }

    /// <summary>Decodes a command or query; throws <see cref="FormatException"/> on malformed bytes.</summary>
    public static (GrainStateOp Op, string Key, ulong Expected, ReadOnlyMemory<byte> State) Decode(ReadOnlyMemory<byte> bytes)
    {
        var span = bytes.Span;
        if (span.Length < 5 || span[0] is < (byte)GrainStateOp.Read or > (byte)GrainStateOp.Clear)
        {
            throw new FormatException("Not a grain state command: unknown operation.");
        }

        var op = (GrainStateOp)span[0];
        var keyLength = BinaryPrimitives.ReadInt32LittleEndian(span[1..]);
        if (keyLength < 0 || keyLength > span.Length - 5)
        {
            throw new FormatException($"Grain state command has a bad key length {keyLength}.");
        }

        var key = Encoding.UTF8.GetString(span.Slice(5, keyLength));
        var at = 5 + keyLength;
        if (op == GrainStateOp.Read)
        {
            return at == span.Length ? (op, key, 0, default) : throw new FormatException("Grain state read has trailing bytes.");
        }

        if (span.Length - at < 8)
        {
            throw new FormatException("Grain state command is truncated.");
        }

        var expected = BinaryPrimitives.ReadUInt64LittleEndian(span[at..]);
        at += 8;
        if (op == GrainStateOp.Clear)
        {
            return at == span.Length ? (op, key, expected, default) : throw new FormatException("Grain state clear has trailing bytes.");
        }

        if (span.Length - at < 4 || BinaryPrimitives.ReadInt32LittleEndian(span[at..]) != span.Length - at - 4)
        {
            throw new FormatException("Grain state write has a bad state length.");
        }

        return (op, key, expected, bytes[(at + 4)..]);
    }

    private static byte[] Build(GrainStateOp op, string key, ulong? expected, ReadOnlySpan<byte> state)
    {
        ArgumentNullException.ThrowIfNull(key);
        var keyLength = Encoding.UTF8.GetByteCount(key);
        var size = 5 + keyLength + (expected is null ? 0 : 8) + (op == GrainStateOp.Write ? 4 + state.Length : 0);
        var bytes = new byte[size];
        bytes[0] = (byte)op;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(1), keyLength);
        Encoding.UTF8.GetBytes(key, bytes.AsSpan(5));
        var at = 5 + keyLength;
        if (expected is { } version)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), version);
            at += 8;
        }

        if (op == GrainStateOp.Write)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), state.Length);
            state.CopyTo(bytes.AsSpan(at + 4));
        }

        return bytes;
    }
}
