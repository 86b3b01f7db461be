using System.Buffers.Binary;
using Raft.Actors.Protocol;

namespace Raft.Actors.Storage;

/// <summary>What a log record holds.</summary>
internal enum RecordKind : byte
{
    /// <summary>A log entry: index, term, entry type and (client id, sequence,) data.</summary>
    Entry = 1,

    /// <summary>A <see cref="Protocol.HardState"/> (term, vote, commit) as of the end of its batch.</summary>
    HardState = 2,

    /// <summary>The log is compacted through (index, term): a durable snapshot covers it.</summary>
    Compaction = 3,

    /// <summary>First record of every segment: format, sequence, previous segment's end, state.</summary>
    SegmentHeader = 4,

    /// <summary>
    /// The log is compacted through (index, term) and every entry written before this record is
    /// dropped: a snapshot replaced a log that left its history at or before the snapshot's last
    /// entry. Written instead of <see cref="Compaction"/> when the log holds the snapshot's index
    /// with another term, because replay could not tell that from the entries alone once the
    /// segment holding that entry was deleted.
    /// </summary>
    Reset = 5,

    /// <summary>
    /// In a <see cref="SharedLog"/>: the records after it, up to the next group record or the end
    /// of the batch, belong to the group whose id is the index field.
    /// </summary>
    Group = 6,

    /// <summary>
    /// In a <see cref="SharedLog"/>, after a group record: the group is forgotten. Replay drops
    /// everything read for it before this record, so its older records, wherever they lie, no
    /// longer count for anything (nor keep a segment alive).
    /// </summary>
    Drop = 7,
}

/// <summary>Per-record flags.</summary>
[Flags]
internal enum RecordFlags : byte
{
    None = 0,

    /// <summary>Last record of a batch: the batch counts only once this record is read intact.</summary>
    BatchEnd = 1,

    /// <summary>An entry payload starts with the client id and sequence (16 bytes).</summary>
    HasSession = 2,
}

/// <summary>A record header as read from disk.</summary>
internal readonly record struct RecordHeader(
    int PayloadLength, uint Crc, RecordKind Kind, RecordFlags Flags, EntryType EntryType, uint Batch, ulong Index, ulong Term)
{
    /// <summary>Header, payload and padding.</summary>
    public int TotalSize => RecordFormat.RecordSize(PayloadLength);

    public bool IsBatchEnd => (Flags & RecordFlags.BatchEnd) != 0;
}

/// <summary>
/// The on-disk record: a 32-byte little-endian header, the payload, and zero padding to a
/// multiple of 8 bytes.
/// <code>
///  0  u32 payload length
///  4  u32 CRC-32C of bytes [0,4) and [8, 32 + padded payload)
///  8  u8  kind (RecordKind)      9  u8 flags (RecordFlags)
/// 10  u8  entry type            11  u8 reserved (0)
/// 12  u32 batch number (low 32 bits; every record of one group commit has the same)
/// 16  u64 index                 24  u64 term
/// 32  payload, zero padding
/// </code>
/// Segments are preallocated with zeros, so a header whose first 16 bytes are zero marks the
/// end of written data. The length is covered by the checksum, so a flipped length is caught.
/// </summary>
internal static class RecordFormat
{
    public const int HeaderSize = 32;
    public const int Alignment = 8;
    public const int SessionSize = 16;
    public const int HardStateSize = 24;
    public const int SegmentHeaderPayloadSize = 72;
    public const int MaxPayloadLength = 1 << 30;
    public const ulong Magic = 0x314C_4157_5446_4152; // "RAFTWAL1" little-endian
    public const uint Version = 1;

    public static int Align(int length) => (length + (Alignment - 1)) & ~(Alignment - 1);

    public static long Align(long length) => (length + (Alignment - 1)) & ~(long)(Alignment - 1);

    public static int RecordSize(int payloadLength) => HeaderSize + Align(payloadLength);

    public static bool HasSession(Entry entry) => entry.ClientId != 0 || entry.Sequence != 0;

    public static int EntryPayloadLength(Entry entry) => (HasSession(entry) ? SessionSize : 0) + entry.Data.Length;

    public static int EntryRecordSize(Entry entry) => RecordSize(EntryPayloadLength(entry));

    public static int WriteEntry(Span<byte> destination, Entry entry, uint batch, bool batchEnd)
    {
        var session = HasSession(entry);
        var payloadLength = (session ? SessionSize : 0) + entry.Data.Length;
        var payload = destination.Slice(HeaderSize, payloadLength);
        if (session)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(payload, entry.ClientId);
            BinaryPrimitives.WriteUInt64LittleEndian(payload[8..], entry.Sequence);
            entry.Data.Span.CopyTo(payload[SessionSize..]);
        }
        else
        {
            entry.Data.Span.CopyTo(payload);
        }

        var flags = (session ? RecordFlags.HasSession : RecordFlags.None) | (batchEnd ? RecordFlags.BatchEnd : RecordFlags.None);
        return Seal(destination, payloadLength, RecordKind.Entry, flags, entry.Type, batch, entry.Index, entry.Term);
    }

    public static int WriteHardState(Span<byte> destination, HardState state, uint batch, bool batchEnd)
    {
        var payload = destination.Slice(HeaderSize, HardStateSize);
        WriteHardStatePayload(payload, state);
        return Seal(destination, HardStateSize, RecordKind.HardState, batchEnd ? RecordFlags.BatchEnd : RecordFlags.None, 0, batch, 0, 0);
    }

    public static int WriteCompaction(Span<byte> destination, ulong index, ulong term, uint batch, bool batchEnd) =>
        Seal(destination, 0, RecordKind.Compaction, batchEnd ? RecordFlags.BatchEnd : RecordFlags.None, 0, batch, index, term);

    public static int WriteReset(Span<byte> destination, ulong index, ulong term, uint batch, bool batchEnd) =>
        Seal(destination, 0, RecordKind.Reset, batchEnd ? RecordFlags.BatchEnd : RecordFlags.None, 0, batch, index, term);

    public static int WriteDrop(Span<byte> destination, uint batch, bool batchEnd) =>
        Seal(destination, 0, RecordKind.Drop, batchEnd ? RecordFlags.BatchEnd : RecordFlags.None, 0, batch, 0, 0);

    public static int WriteGroup(Span<byte> destination, ulong group, uint batch, bool batchEnd) =>
        Seal(destination, 0, RecordKind.Group, batchEnd ? RecordFlags.BatchEnd : RecordFlags.None, 0, batch, group, 0);

    public static int WriteSegmentHeader(Span<byte> destination, in SegmentHeaderInfo info, uint batch, bool batchEnd)
    {
        var p = destination.Slice(HeaderSize, SegmentHeaderPayloadSize);
        BinaryPrimitives.WriteUInt64LittleEndian(p, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(p[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(p[12..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(p[16..], info.Sequence);
        BinaryPrimitives.WriteInt64LittleEndian(p[24..], info.PreviousSegmentEnd);
        WriteHardStatePayload(p[32..], info.HardState);
        BinaryPrimitives.WriteUInt64LittleEndian(p[56..], info.CompactedIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(p[64..], info.CompactedTerm);
        return Seal(destination, SegmentHeaderPayloadSize, RecordKind.SegmentHeader, batchEnd ? RecordFlags.BatchEnd : RecordFlags.None, 0, batch, info.NextIndex, 0);
    }

    /// <summary>
    /// Checks that <paramref name="header"/> (32 bytes) could start a record: a known kind and
    /// flags, zero reserved bytes, a plausible length. Says nothing about the checksum.
    /// </summary>
    public static bool TryParseHeader(ReadOnlySpan<byte> header, out RecordHeader parsed)
    {
        parsed = default;
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        var kind = (RecordKind)header[8];
        var flags = (RecordFlags)header[9];
        var entryType = (EntryType)header[10];
        if (length > MaxPayloadLength || header[11] != 0 || (flags & ~(RecordFlags.BatchEnd | RecordFlags.HasSession)) != 0)
        {
            return false;
        }

        switch (kind)
        {
            case RecordKind.Entry:
                if (entryType > EntryType.ConfChange || ((flags & RecordFlags.HasSession) != 0 && length < SessionSize))
                {
                    return false;
                }

                break;
            case RecordKind.HardState:
                if (length != HardStateSize || entryType != 0 || (flags & RecordFlags.HasSession) != 0)
                {
                    return false;
                }

                break;
            case RecordKind.Compaction or RecordKind.Reset or RecordKind.Group or RecordKind.Drop:
                if (length != 0 || entryType != 0 || (flags & RecordFlags.HasSession) != 0)
                {
                    return false;
                }

                break;
            case RecordKind.SegmentHeader:
                if (length != SegmentHeaderPayloadSize || entryType != 0 || (flags & RecordFlags.HasSession) != 0)
                {
                    return false;
                }

                break;
            default:
                return false;
        }

        parsed = new RecordHeader(
            (int)length,
            BinaryPrimitives.ReadUInt32LittleEndian(header[4..]),
            kind,
            flags,
            entryType,
            BinaryPrimitives.ReadUInt32LittleEndian(header[12..]),
            BinaryPrimitives.ReadUInt64LittleEndian(header[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(header[24..]));
        return true;
    }

    /// <summary>True when the first 16 bytes are zero: preallocated space, no record starts here.</summary>
    public static bool IsZeroHeader(ReadOnlySpan<byte> header) =>
        BinaryPrimitives.ReadUInt64LittleEndian(header) == 0 && BinaryPrimitives.ReadUInt64LittleEndian(header[8..]) == 0;

    /// <summary>True when <paramref name="record"/> (header, payload, padding) matches its checksum.</summary>
    public static bool VerifyChecksum(ReadOnlySpan<byte> record, uint expected) => ComputeChecksum(record) == expected;

    public static Entry ReadEntry(in RecordHeader header, ReadOnlySpan<byte> payload, Memory<byte> dataStorage)
    {
        ulong clientId = 0, sequence = 0;
        if ((header.Flags & RecordFlags.HasSession) != 0)
        {
            clientId = BinaryPrimitives.ReadUInt64LittleEndian(payload);
            sequence = BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]);
            payload = payload[SessionSize..];
        }

        payload.CopyTo(dataStorage.Span);
        return new Entry
        {
            Index = header.Index,
            Term = header.Term,
            Type = header.EntryType,
            ClientId = clientId,
            Sequence = sequence,
            Data = dataStorage[..payload.Length],
        };
    }

    public static int EntryDataLength(in RecordHeader header) =>
        header.PayloadLength - ((header.Flags & RecordFlags.HasSession) != 0 ? SessionSize : 0);

    public static HardState ReadHardState(ReadOnlySpan<byte> payload) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(payload),
        BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]),
        BinaryPrimitives.ReadUInt64LittleEndian(payload[16..]));

    /// <summary>Reads a segment header payload; false when the magic or version is not ours.</summary>
    public static bool TryReadSegmentHeader(ReadOnlySpan<byte> payload, ulong nextIndex, out SegmentHeaderInfo info)
    {
        info = default;
        if (BinaryPrimitives.ReadUInt64LittleEndian(payload) != Magic || BinaryPrimitives.ReadUInt32LittleEndian(payload[8..]) != Version)
        {
            return false;
        }

        info = new SegmentHeaderInfo(
            BinaryPrimitives.ReadUInt64LittleEndian(payload[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(payload[24..]),
            ReadHardState(payload[32..]),
            BinaryPrimitives.ReadUInt64LittleEndian(payload[56..]),
            BinaryPrimitives.ReadUInt64LittleEndian(payload[64..]),
            nextIndex);
        return true;
    }

    private static void WriteHardStatePayload(Span<byte> payload, HardState state)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(payload, state.Term);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[8..], state.Vote);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[16..], state.Commit);
    }

    private static int Seal(Span<byte> destination, int payloadLength, RecordKind kind, RecordFlags flags, EntryType entryType, uint batch, ulong index, ulong term)
    {
        var size = RecordSize(payloadLength);
        var record = destination[..size];
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)payloadLength);
        record[8] = (byte)kind;
        record[9] = (byte)flags;
        record[10] = (byte)entryType;
        record[11] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(record[12..], batch);
        BinaryPrimitives.WriteUInt64LittleEndian(record[16..], index);
        BinaryPrimitives.WriteUInt64LittleEndian(record[24..], term);
        record[(HeaderSize + payloadLength)..].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], ComputeChecksum(record));
        return size;
    }

    private static uint ComputeChecksum(ReadOnlySpan<byte> record)
    {
        var crc = Crc32C.Append(Crc32C.Seed, record[..4]);
        return Crc32C.Finish(Crc32C.Append(crc, record[8..]));
    }
}

/// <summary>What the first record of a segment says.</summary>
/// <param name="Sequence">The segment's number; also its file name.</param>
/// <param name="PreviousSegmentEnd">Where the data of the previous segment ends (0 for the first segment ever).</param>
/// <param name="HardState">The hard state when the segment was started.</param>
/// <param name="CompactedIndex">The compaction point when the segment was started.</param>
/// <param name="CompactedTerm">Its term.</param>
/// <param name="NextIndex">The index the next entry was expected to have (informational).</param>
internal readonly record struct SegmentHeaderInfo(
    ulong Sequence, long PreviousSegmentEnd, HardState HardState, ulong CompactedIndex, ulong CompactedTerm, ulong NextIndex);
