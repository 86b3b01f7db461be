namespace Raft.Actors.Snapshots;

/// <summary>
/// How the chunks of a snapshot are compressed. Stored in the snapshot header as one byte, so the
/// numeric values are part of the format and never change.
/// </summary>
public enum SnapshotCodec : byte
{
    /// <summary>Chunks are stored as written.</summary>
    None = 0,

    /// <summary>LZ4 block format at its fastest level (K4os.Compression.LZ4). The default: see <see cref="SnapshotOptions.DefaultCodec"/>.</summary>
    Lz4 = 1,

    /// <summary>Zstandard at level 1 (ZstdSharp.Port): a better ratio, slower to decompress.</summary>
    Zstandard = 2,

    /// <summary>Raw Deflate at <see cref="System.IO.Compression.CompressionLevel.Fastest"/> (the BCL's zlib).</summary>
    Deflate = 3,
}
