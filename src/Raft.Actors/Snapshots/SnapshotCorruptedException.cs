namespace Raft.Actors.Snapshots;

/// <summary>The part of a snapshot file an error is about.</summary>
public enum SnapshotRegion
{
    /// <summary>The header: format version, codec, chunk size, index, term, membership.</summary>
    Header,

    /// <summary>One chunk frame (its frame header or its payload); <see cref="SnapshotCorruptedException.Chunk"/> says which.</summary>
    Chunk,

    /// <summary>The trailer (chunk count, total length, whole-file digest), or its absence.</summary>
    Trailer,
}

/// <summary>
/// A snapshot's bytes are not what was written: a checksum does not match, a field is out of range,
/// or the file ends early. Nothing from the damaged part was returned to the caller. The snapshot
/// cannot be used; take or fetch another one.
/// </summary>
public sealed class SnapshotCorruptedException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="snapshot">The snapshot's name: its file path, or what the caller called it.</param>
    /// <param name="region">The damaged part.</param>
    /// <param name="chunk">The chunk's number (from 0) when <paramref name="region"/> is <see cref="SnapshotRegion.Chunk"/>.</param>
    /// <param name="offset">Byte offset in the snapshot where the damaged part starts.</param>
    /// <param name="reason">What is wrong, e.g. "checksum mismatch".</param>
    public SnapshotCorruptedException(string snapshot, SnapshotRegion region, long? chunk, long offset, string reason)
        : base(Describe(snapshot, region, chunk, offset, reason))
    {
        Snapshot = snapshot;
        Region = region;
        Chunk = chunk;
        Offset = offset;
        Reason = reason;
    }

    /// <summary>The snapshot's name: its file path, or what the caller called it.</summary>
    public string Snapshot { get; }

    /// <summary>The damaged part.</summary>
    public SnapshotRegion Region { get; }

    /// <summary>The damaged chunk's number, counted from 0; null for the header and the trailer.</summary>
    public long? Chunk { get; }

    /// <summary>Byte offset in the snapshot where the damaged part starts.</summary>
    public long Offset { get; }

    /// <summary>What is wrong.</summary>
    public string Reason { get; }

    private static string Describe(string snapshot, SnapshotRegion region, long? chunk, long offset, string reason)
    {
        var part = region switch
        {
            SnapshotRegion.Header => "header",
            SnapshotRegion.Chunk => $"chunk {chunk}",
            _ => "trailer",
        };
        return $"Snapshot '{snapshot}' is corrupted: {part} at byte {offset}: {reason}.";
    }
}
