using System.Buffers.Binary;
using System.Collections.Immutable;
using System.IO.Hashing;
using Raft.Actors.Protocol;

namespace Raft.Actors.Snapshots;

/// <summary>
/// The byte layout of a snapshot file. Every integer is little-endian; every checksum is
/// XxHash64 (System.IO.Hashing).
/// </summary>
/// <remarks>
/// <para><b>Header</b> (<c>H = 56 + 8 × (voters + learners + outgoing voters) + 16 × disks</c> bytes):</para>
/// <code>
///  0  4  magic "RSNP"
///  4  1  format version (1)
///  5  1  codec (SnapshotCodec)
///  6  2  reserved, 0
///  8  4  H, the header length including its checksum
/// 12  4  chunk size (bytes of state per chunk)
/// 16  8  last index
/// 24  8  last term
/// 32  4  voter count V, then V × 8 voter ids
///  .  4  learner count L, then L × 8 learner ids
///  .  4  outgoing voter count O (0 unless joint), then O × 8 ids
///  .  4  disk count D, then D × (8 node id, 8 disk id)
/// H-8 8  checksum of bytes [0, H-8), seed 0
/// </code>
/// <para><b>Chunk frame</b> (20 bytes, then the payload), one per chunk, numbered from 0. Every
/// chunk holds exactly chunk-size bytes of state except the last, which holds 1 to chunk-size:</para>
/// <code>
///  0  1  kind 'C' (0x43)
///  1  1  flags: bit 0 set = the payload is the state as is (codec None, or compression did not help)
///  2  2  reserved, 0
///  4  4  raw length R, 1 to chunk size
///  8  4  stored length S, 1 to R (S = R when bit 0 is set, S &lt; R otherwise)
/// 12  8  checksum: XxHash64 seeded with the chunk number over bytes [0, 12) of the frame followed
///        by the 8 bytes of XxHash64 of the payload seeded with the chunk number
/// 20  S  payload
/// </code>
/// <para>Seeding with the chunk number makes a chunk moved, duplicated or dropped fail its check;
/// covering the payload's hash instead of the payload keeps the frame fields and the payload in
/// one check without copying them together.</para>
/// <para><b>Trailer</b> (32 bytes), right after the last chunk frame, then the end of the file:</para>
/// <code>
///  0  1  kind 'T' (0x54)
///  1  7  reserved, 0
///  8  8  chunk count
/// 16  8  total raw length (bytes of state)
/// 24  8  digest: XxHash64, seed 0, over the header and every chunk frame's 20 bytes in order
///        (they hold the chunk checksums, so every payload byte is covered)
/// </code>
/// <para>Every other trailer field is checked against what was read, so the trailer needs no
/// checksum of its own.</para>
/// <para>An empty state is a header and a trailer with no chunk. A file without its trailer is
/// incomplete, never a shorter snapshot. The header, each chunk and the trailer can be checked on
/// their own, which is what lets a follower verify and keep each chunk as it arrives.</para>
/// </remarks>
public static class SnapshotFormat
{
    /// <summary>The format version this build writes, and the only one it reads.</summary>
    public const byte Version = 1;

    /// <summary>Bytes of a header without members.</summary>
    public const int MinHeaderLength = 56;

    /// <summary>Most 8-byte membership words (ids, and two per disk record) a header may hold.</summary>
    public const int MaxMembers = 4096;

    /// <summary>Largest header: <see cref="MinHeaderLength"/> plus <see cref="MaxMembers"/> words.</summary>
    public const int MaxHeaderLength = MinHeaderLength + (8 * MaxMembers);

    /// <summary>Bytes of a chunk frame before its payload.</summary>
    public const int ChunkFrameHeaderLength = 20;

    /// <summary>Bytes of the trailer.</summary>
    public const int TrailerLength = 32;

    /// <summary>The first byte of a chunk frame.</summary>
    public const byte ChunkKind = (byte)'C';

    /// <summary>The first byte of the trailer.</summary>
    public const byte TrailerKind = (byte)'T';

    internal const byte StoredFlag = 1;

    // Enough of the header to learn its length.
    internal const int HeaderPrefixLength = 12;

    /// <summary>The 4 bytes every snapshot starts with: ASCII <c>RSNP</c>.</summary>
    public static ReadOnlySpan<byte> Magic => "RSNP"u8;

    internal static byte[] EncodeHeader(SnapshotMetadata metadata, SnapshotCodec codec, int chunkSize)
    {
        var conf = metadata.ConfState;
        var voters = OrEmpty(conf.Voters);
        var learners = OrEmpty(conf.Learners);
        var outgoing = OrEmpty(conf.VotersOutgoing);
        var disks = OrEmpty(conf.Disks);
        var words = voters.Length + learners.Length + outgoing.Length + (2 * disks.Length);
        if (words > MaxMembers)
        {
            throw new ArgumentException($"A snapshot header holds at most {MaxMembers} membership words; this configuration ({conf}) needs {words}.", nameof(metadata));
        }

        var length = MinHeaderLength + (8 * words);
        var bytes = new byte[length];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        span[4] = Version;
        span[5] = (byte)codec;
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], length);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], chunkSize);
        BinaryPrimitives.WriteUInt64LittleEndian(span[16..], metadata.Index);
        BinaryPrimitives.WriteUInt64LittleEndian(span[24..], metadata.Term);
        var at = WriteIds(span, 32, voters);
        at = WriteIds(span, at, learners);
        at = WriteIds(span, at, outgoing);
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], disks.Length);
        at = WriteWords(span, at + 4, [.. disks.SelectMany(d => new[] { d.NodeId, d.DiskId })]);
        BinaryPrimitives.WriteUInt64LittleEndian(span[at..], XxHash64.HashToUInt64(span[..at]));
        return bytes;
    }

    /// <summary>Checks the first <see cref="HeaderPrefixLength"/> bytes and returns the header's length.</summary>
    internal static int ReadHeaderLength(ReadOnlySpan<byte> prefix, string name)
    {
        if (!prefix[..4].SequenceEqual(Magic))
        {
            throw HeaderError(name, "no snapshot magic (\"RSNP\") at the start");
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(prefix[8..]);
        if (length is < MinHeaderLength or > MaxHeaderLength || (length - MinHeaderLength) % 8 != 0)
        {
            throw HeaderError(name, $"header length {length} is not a valid length");
        }

        return length;
    }

    /// <summary>Checks a whole header (checksum first, then each field) and decodes it.</summary>
    internal static SnapshotHeader DecodeHeader(ReadOnlySpan<byte> header, string name)
    {
        var length = ReadHeaderLength(header, name);
        if (header.Length != length)
        {
            throw HeaderError(name, $"header is {header.Length} bytes, its length field says {length}");
        }

        var stored = BinaryPrimitives.ReadUInt64LittleEndian(header[(length - 8)..]);
        if (XxHash64.HashToUInt64(header[..(length - 8)]) != stored)
        {
            throw HeaderError(name, "header checksum mismatch");
        }

        // Past the checksum, a bad field is a file written by something else, not a flipped bit.
        if (header[4] != Version)
        {
            throw HeaderError(name, $"format version {header[4]}; this build reads version {Version}");
        }

        var codec = (SnapshotCodec)header[5];
        if (!Enum.IsDefined(codec))
        {
            throw HeaderError(name, $"unknown codec {header[5]}");
        }

        if (header[6] != 0 || header[7] != 0)
        {
            throw HeaderError(name, "reserved header bytes are not zero");
        }

        var chunkSize = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        if (chunkSize is < SnapshotOptions.MinChunkSize or > SnapshotOptions.MaxChunkSize)
        {
            throw HeaderError(name, $"chunk size {chunkSize} is out of range");
        }

        var index = BinaryPrimitives.ReadUInt64LittleEndian(header[16..]);
        var term = BinaryPrimitives.ReadUInt64LittleEndian(header[24..]);
        var room = (length - MinHeaderLength) / 8;
        var at = 32;
        var voters = ReadCountedIds(header, ref at, ref room, "voter", name);
        var learners = ReadCountedIds(header, ref at, ref room, "learner", name);
        var outgoing = ReadCountedIds(header, ref at, ref room, "outgoing voter", name);
        var diskWords = ReadCountedIds(header, ref at, ref room, "disk", name, wordsPerItem: 2);
        if (room != 0)
        {
            throw HeaderError(name, $"membership lists leave {room} words of the header unused");
        }

        var disks = ImmutableArray.CreateBuilder<MemberDisk>(diskWords.Length / 2);
        for (var i = 0; i < diskWords.Length; i += 2)
        {
            disks.Add(new MemberDisk(diskWords[i], diskWords[i + 1]));
        }

        var metadata = new SnapshotMetadata
        {
            Index = index,
            Term = term,
            ConfState = new ConfState { Voters = voters, Learners = learners, VotersOutgoing = outgoing, Disks = disks.MoveToImmutable() },
        };
        return new SnapshotHeader(Version, codec, chunkSize, metadata);
    }

    internal static void WriteChunkFrameHeader(Span<byte> frame, long chunk, bool storedAsIs, int rawLength, ReadOnlySpan<byte> payload)
    {
        frame[0] = ChunkKind;
        frame[1] = storedAsIs ? StoredFlag : (byte)0;
        frame[2] = 0;
        frame[3] = 0;
        BinaryPrimitives.WriteInt32LittleEndian(frame[4..], rawLength);
        BinaryPrimitives.WriteInt32LittleEndian(frame[8..], payload.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(frame[12..], ChunkChecksum(chunk, frame, payload));
    }

    internal static ulong ChunkChecksum(long chunk, ReadOnlySpan<byte> frameHeader, ReadOnlySpan<byte> payload)
    {
        Span<byte> covered = stackalloc byte[20];
        frameHeader[..12].CopyTo(covered);
        BinaryPrimitives.WriteUInt64LittleEndian(covered[12..], XxHash64.HashToUInt64(payload, chunk));
        return XxHash64.HashToUInt64(covered, chunk);
    }

    internal static bool ChunkChecksumMatches(long chunk, ReadOnlySpan<byte> frameHeader, ReadOnlySpan<byte> payload) =>
        ChunkChecksum(chunk, frameHeader, payload) == BinaryPrimitives.ReadUInt64LittleEndian(frameHeader[12..]);

    internal static void WriteTrailer(Span<byte> trailer, long chunkCount, long rawLength, XxHash64 digest)
    {
        trailer.Clear();
        trailer[0] = TrailerKind;
        BinaryPrimitives.WriteInt64LittleEndian(trailer[8..], chunkCount);
        BinaryPrimitives.WriteInt64LittleEndian(trailer[16..], rawLength);
        BinaryPrimitives.WriteUInt64LittleEndian(trailer[24..], digest.GetCurrentHashAsUInt64());
    }

    internal static SnapshotCorruptedException HeaderError(string name, string reason) =>
        new(name, SnapshotRegion.Header, null, 0, reason);

    /// <summary>Reads and checks a header from the current position of <paramref name="source"/>.</summary>
    internal static async ValueTask<(SnapshotHeader Header, byte[] Bytes)> ReadHeaderAsync(Stream source, string name, bool sync, CancellationToken cancellationToken)
    {
        var prefix = new byte[HeaderPrefixLength];
        var got = await ReadFullyAsync(source, prefix, sync, cancellationToken).ConfigureAwait(false);
        if (got < prefix.Length)
        {
            throw HeaderError(name, got == 0 ? "the file is empty" : $"the file ends {got} bytes into the header");
        }

        var length = ReadHeaderLength(prefix, name);
        var bytes = new byte[length];
        prefix.CopyTo(bytes, 0);
        got = await ReadFullyAsync(source, bytes.AsMemory(prefix.Length), sync, cancellationToken).ConfigureAwait(false);
        if (got < length - prefix.Length)
        {
            throw HeaderError(name, $"the file ends {prefix.Length + got} bytes into the header");
        }

        return (DecodeHeader(bytes, name), bytes);
    }

    /// <summary>
    /// Reads until <paramref name="buffer"/> is full or the stream ends; returns the bytes read. With
    /// <paramref name="sync"/> it calls only synchronous stream methods and completes synchronously.
    /// </summary>
    internal static ValueTask<int> ReadFullyAsync(Stream source, Memory<byte> buffer, bool sync, CancellationToken cancellationToken) =>
        sync
            ? new ValueTask<int>(source.ReadAtLeast(buffer.Span, buffer.Length, throwOnEndOfStream: false))
            : source.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);

    private static int WriteIds(Span<byte> span, int at, ImmutableArray<ulong> ids)
    {
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], ids.Length);
        return WriteWords(span, at + 4, ids);
    }

    private static int WriteWords(Span<byte> span, int at, ImmutableArray<ulong> ids)
    {
        foreach (var id in ids)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span[at..], id);
            at += 8;
        }

        return at;
    }

    /// <summary>Reads a count and that many items of <paramref name="wordsPerItem"/> words, checking they fit the <paramref name="room"/> left.</summary>
    private static ImmutableArray<ulong> ReadCountedIds(ReadOnlySpan<byte> header, ref int at, ref int room, string what, string name, int wordsPerItem = 1)
    {
        var count = BinaryPrimitives.ReadUInt32LittleEndian(header[at..]);
        if (count > (uint)room / (uint)wordsPerItem)
        {
            throw HeaderError(name, $"{what} count {count} does not fit the header");
        }

        var words = (int)count * wordsPerItem;
        var ids = ReadIds(header, at + 4, words);
        at += 4 + (8 * words);
        room -= words;
        return ids;
    }

    private static ImmutableArray<T> OrEmpty<T>(ImmutableArray<T> items) => items.IsDefault ? [] : items;

    private static ImmutableArray<ulong> ReadIds(ReadOnlySpan<byte> span, int at, int count)
    {
        var ids = ImmutableArray.CreateBuilder<ulong>(count);
        for (var i = 0; i < count; i++)
        {
            ids.Add(BinaryPrimitives.ReadUInt64LittleEndian(span[(at + (8 * i))..]));
        }

        return ids.MoveToImmutable();
    }
}
