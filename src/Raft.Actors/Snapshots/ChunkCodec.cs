using System.IO.Compression;
using K4os.Compression.LZ4;
using ZstdSharp;

namespace Raft.Actors.Snapshots;

/// <summary>
/// Compresses and decompresses single chunks. One instance per worker thread: an instance may keep
/// a codec context between chunks and is never used by two threads at once.
/// </summary>
internal abstract class ChunkCodec : IDisposable
{
    public static ChunkCodec Create(SnapshotCodec codec) => codec switch
    {
        SnapshotCodec.None => new NoCodec(),
        SnapshotCodec.Lz4 => new Lz4Codec(),
        SnapshotCodec.Zstandard => new ZstandardCodec(),
        SnapshotCodec.Deflate => new DeflateCodec(),
        _ => throw new ArgumentOutOfRangeException(nameof(codec), codec, "Unknown snapshot codec."),
    };

    /// <summary>
    /// Compresses <paramref name="raw"/> into <paramref name="destination"/> and returns the length,
    /// or -1 when the result would not be shorter than <paramref name="raw"/> (the chunk is then
    /// stored as is).
    /// </summary>
    public abstract int Compress(byte[] raw, int rawLength, byte[] destination);

    /// <summary>
    /// Decompresses <paramref name="stored"/> into exactly <paramref name="destination"/>; false when
    /// the bytes are malformed or decompress to another length.
    /// </summary>
    public abstract bool TryDecompress(byte[] stored, int storedLength, Span<byte> destination);

    public virtual void Dispose()
    {
    }

    private sealed class NoCodec : ChunkCodec
    {
        public override int Compress(byte[] raw, int rawLength, byte[] destination) => -1;

        public override bool TryDecompress(byte[] stored, int storedLength, Span<byte> destination) => false;
    }

    private sealed class Lz4Codec : ChunkCodec
    {
        public override int Compress(byte[] raw, int rawLength, byte[] destination)
        {
            // K4os returns -1 when the output does not fit, which is "not shorter" here.
            var length = LZ4Codec.Encode(raw.AsSpan(0, rawLength), destination.AsSpan(0, rawLength - 1), LZ4Level.L00_FAST);
            return length > 0 ? length : -1;
        }

        public override bool TryDecompress(byte[] stored, int storedLength, Span<byte> destination) =>
            LZ4Codec.Decode(stored.AsSpan(0, storedLength), destination) == destination.Length;
    }

    private sealed class ZstandardCodec : ChunkCodec
    {
        private const int Level = 1;
        private Compressor? _compressor;
        private Decompressor? _decompressor;

        public override int Compress(byte[] raw, int rawLength, byte[] destination)
        {
            _compressor ??= new Compressor(Level);
            return _compressor.TryWrap(raw.AsSpan(0, rawLength), destination.AsSpan(0, rawLength - 1), out var written) ? written : -1;
        }

        public override bool TryDecompress(byte[] stored, int storedLength, Span<byte> destination)
        {
            _decompressor ??= new Decompressor();
            try
            {
                return _decompressor.TryUnwrap(stored.AsSpan(0, storedLength), destination, out var written) && written == destination.Length;
            }
            catch (ZstdException)
            {
                return false;
            }
        }

        public override void Dispose()
        {
            _compressor?.Dispose();
            _decompressor?.Dispose();
        }
    }

    private sealed class DeflateCodec : ChunkCodec
    {
        // The BCL has no span-based deflate in .NET 10: each chunk costs a DeflateStream and its zlib
        // state (a few hundred KiB of native memory, freed at once). Acceptable for a codec that is
        // not the default; the buffers themselves are still the pooled ones.
        public override int Compress(byte[] raw, int rawLength, byte[] destination)
        {
            var output = new MemoryStream(destination, 0, rawLength - 1, writable: true);
            try
            {
                using (var deflate = new DeflateStream(output, CompressionLevel.Fastest, leaveOpen: true))
                {
                    deflate.Write(raw, 0, rawLength);
                }

                return (int)output.Position;
            }
            catch (NotSupportedException)
            {
                return -1; // The fixed-size output stream is full: compression did not help.
            }
        }

        public override bool TryDecompress(byte[] stored, int storedLength, Span<byte> destination)
        {
            try
            {
                using var deflate = new DeflateStream(new MemoryStream(stored, 0, storedLength, writable: false), CompressionMode.Decompress);
                if (deflate.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false) != destination.Length)
                {
                    return false;
                }

                Span<byte> extra = stackalloc byte[1];
                return deflate.Read(extra) == 0;
            }
            catch (InvalidDataException)
            {
                return false;
            }
        }
    }
}
