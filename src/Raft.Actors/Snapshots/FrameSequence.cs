using System.Buffers.Binary;
using System.IO.Hashing;

namespace Raft.Actors.Snapshots;

/// <summary>The fields of a chunk frame that passed the structural checks.</summary>
internal readonly record struct ChunkFrame(bool StoredAsIs, int RawLength, int StoredLength);

/// <summary>
/// Follows a snapshot frame by frame after its header: checks each frame's fields against the
/// header and the frames before it, keeps the whole-file digest, and names the damaged part in
/// every error. Shared by the reader, the frame reader and the receiver so that they accept
/// exactly the same files. Chunk checksums are checked by the caller (on a worker, or inline).
/// </summary>
internal sealed class FrameSequence
{
    private readonly XxHash64 _digest = new();
    private bool _lastChunkShort;

    public FrameSequence(string name, SnapshotHeader header, ReadOnlySpan<byte> headerBytes)
    {
        Name = name;
        Header = header;
        _digest.Append(headerBytes);
        Offset = headerBytes.Length;
    }

    public string Name { get; }

    public SnapshotHeader Header { get; }

    /// <summary>Chunks accepted so far: the number of the next chunk.</summary>
    public long Chunks { get; private set; }

    /// <summary>Bytes of state in the chunks accepted so far.</summary>
    public long RawLength { get; private set; }

    /// <summary>Offset of the next frame in the file.</summary>
    public long Offset { get; private set; }

    /// <summary>The trailer was accepted: nothing may follow.</summary>
    public bool Complete { get; private set; }

    /// <summary>
    /// The region a frame starting with <paramref name="kind"/> belongs to. A damaged kind byte is
    /// attributed to the kind it is fewer bits away from ('C' and 'T' differ in 4 bits), so a flipped
    /// bit in the trailer's kind is reported as trailer damage, not as a damaged extra chunk.
    /// </summary>
    public static SnapshotRegion RegionOf(byte kind) =>
        System.Numerics.BitOperations.PopCount((uint)(kind ^ SnapshotFormat.TrailerKind))
            < System.Numerics.BitOperations.PopCount((uint)(kind ^ SnapshotFormat.ChunkKind))
            ? SnapshotRegion.Trailer
            : SnapshotRegion.Chunk;

    /// <summary>Checks a chunk frame's 20 bytes against the header and the frames before it.</summary>
    public ChunkFrame ParseChunkFrame(ReadOnlySpan<byte> frame)
    {
        if (Complete)
        {
            throw TrailerError("bytes follow the trailer");
        }

        if (frame[0] != SnapshotFormat.ChunkKind)
        {
            throw UnitError(frame[0], $"unknown frame kind 0x{frame[0]:x2}");
        }

        var flags = frame[1];
        if ((flags & ~SnapshotFormat.StoredFlag) != 0 || frame[2] != 0 || frame[3] != 0)
        {
            throw ChunkError("unknown flags or non-zero reserved bytes in the frame header");
        }

        if (_lastChunkShort)
        {
            throw ChunkError($"chunk {Chunks - 1} was short, so it must have been the last");
        }

        var rawLength = BinaryPrimitives.ReadInt32LittleEndian(frame[4..]);
        var storedLength = BinaryPrimitives.ReadInt32LittleEndian(frame[8..]);
        var storedAsIs = (flags & SnapshotFormat.StoredFlag) != 0;
        if (rawLength < 1 || rawLength > Header.ChunkSize)
        {
            throw ChunkError($"raw length {rawLength} is outside 1..{Header.ChunkSize}");
        }

        if (storedAsIs ? storedLength != rawLength : storedLength < 1 || storedLength >= rawLength)
        {
            throw ChunkError($"stored length {storedLength} does not fit raw length {rawLength}");
        }

        if (!storedAsIs && Header.Codec == SnapshotCodec.None)
        {
            throw ChunkError("a compressed chunk in a snapshot without a codec");
        }

        return new ChunkFrame(storedAsIs, rawLength, storedLength);
    }

    /// <summary>Counts a chunk whose frame passed <see cref="ParseChunkFrame"/> and whose payload was read.</summary>
    public void AcceptChunk(ReadOnlySpan<byte> frameHeader, ChunkFrame frame)
    {
        _digest.Append(frameHeader[..SnapshotFormat.ChunkFrameHeaderLength]);
        _lastChunkShort = frame.RawLength < Header.ChunkSize;
        Chunks++;
        RawLength += frame.RawLength;
        Offset += SnapshotFormat.ChunkFrameHeaderLength + frame.StoredLength;
    }

    /// <summary>Checks the trailer's fields and the whole-file digest; afterwards nothing may follow.</summary>
    public void AcceptTrailer(ReadOnlySpan<byte> trailer)
    {
        if (Complete)
        {
            throw TrailerError("bytes follow the trailer");
        }

        if (trailer[0] != SnapshotFormat.TrailerKind)
        {
            throw UnitError(trailer[0], $"unknown frame kind 0x{trailer[0]:x2}");
        }

        if (trailer[1..8].IndexOfAnyExcept((byte)0) >= 0)
        {
            throw TrailerError("non-zero reserved bytes");
        }

        var chunkCount = BinaryPrimitives.ReadInt64LittleEndian(trailer[8..]);
        var rawLength = BinaryPrimitives.ReadInt64LittleEndian(trailer[16..]);
        var digest = BinaryPrimitives.ReadUInt64LittleEndian(trailer[24..]);
        if (chunkCount != Chunks)
        {
            throw TrailerError($"it counts {chunkCount} chunks, the file holds {Chunks}");
        }

        if (rawLength != RawLength)
        {
            throw TrailerError($"it says {rawLength} bytes of state, the chunks hold {RawLength}");
        }

        if (_digest.GetCurrentHashAsUInt64() != digest)
        {
            throw TrailerError("whole-file digest mismatch");
        }

        Complete = true;
        Offset += SnapshotFormat.TrailerLength;
    }

    /// <summary>The error for the bytes where chunk <see cref="Chunks"/> should be.</summary>
    public SnapshotCorruptedException ChunkError(string reason) =>
        new(Name, SnapshotRegion.Chunk, Chunks, Offset, reason);

    /// <summary>The error for the bytes where the trailer should be.</summary>
    public SnapshotCorruptedException TrailerError(string reason) =>
        new(Name, SnapshotRegion.Trailer, null, Offset, reason);

    /// <summary>The error for a frame that starts with <paramref name="kind"/> at <see cref="Offset"/>.</summary>
    public SnapshotCorruptedException UnitError(byte kind, string reason) =>
        RegionOf(kind) == SnapshotRegion.Trailer ? TrailerError(reason) : ChunkError(reason);

    /// <summary>The error for a file that ends <paramref name="have"/> bytes into the frame at <see cref="Offset"/>.</summary>
    public SnapshotCorruptedException Truncated(int have, byte kind) =>
        have == 0
            ? TrailerError(Chunks == 0 ? "the file ends after the header without a trailer" : $"the file ends after chunk {Chunks - 1} without a trailer")
            : UnitError(kind, $"the file ends {have} bytes into the frame");
}
