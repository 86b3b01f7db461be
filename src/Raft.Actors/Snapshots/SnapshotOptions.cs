namespace Raft.Actors.Snapshots;

/// <summary>How snapshots are encoded and how many threads encode and decode them.</summary>
/// <remarks>
/// Memory: a <see cref="SnapshotWriter"/> or <see cref="SnapshotReader"/> holds at most
/// <c>2 × workers</c> chunks in flight, each with two buffers of <see cref="ChunkSize"/> bytes from
/// <see cref="System.Buffers.ArrayPool{T}.Shared"/>: 16 MiB for 4 workers and 1 MiB chunks.
/// </remarks>
public sealed class SnapshotOptions
{
    /// <summary>
    /// The codec used unless told otherwise: <see cref="SnapshotCodec.Lz4"/>, chosen by measurement
    /// (<c>Raft.Benchmarks snapshot</c>, JSON-like records, 2-core VM): per core, LZ4 compresses about
    /// 500 MB/s and decompresses 1,600-2,400 MB/s of state, ratio 2.6. Zstandard-1 compresses about
    /// as fast with a far better ratio (4.5) but decompresses at 800-1,000 MB/s, two to three times
    /// slower; Deflate manages about 280 and 500 MB/s, ratio 2.8. A snapshot is read while a follower
    /// catches up or a replica restarts, so decompression speed decides; bytes are cheap here (the
    /// disk writes 1.1 GB/s, loopback TCP more). Choose Zstandard when the network between replicas
    /// is the bottleneck.
    /// </summary>
    public const SnapshotCodec DefaultCodec = SnapshotCodec.Lz4;

    /// <summary>The chunk size used unless told otherwise: 1 MiB.</summary>
    public const int DefaultChunkSize = 1 << 20;

    /// <summary>The smallest chunk size allowed: 256 bytes (small chunks are for tests).</summary>
    public const int MinChunkSize = 256;

    /// <summary>The largest chunk size allowed: 64 MiB.</summary>
    public const int MaxChunkSize = 64 << 20;

    /// <summary>The most workers allowed: 256.</summary>
    public const int MaxWorkers = 256;

    /// <summary>The codec new snapshots are written with. Readers take the codec from the header.</summary>
    public SnapshotCodec Codec { get; set; } = DefaultCodec;

    /// <summary>Bytes of state per chunk (before compression), from <see cref="MinChunkSize"/> to <see cref="MaxChunkSize"/>.</summary>
    public int ChunkSize { get; set; } = DefaultChunkSize;

    /// <summary>
    /// Threads that compress or decompress chunks, 1 to <see cref="MaxWorkers"/>; 0 (the default)
    /// means <see cref="Environment.ProcessorCount"/>.
    /// </summary>
    public int Workers { get; set; }

    /// <summary>Called by a worker before it processes a chunk (its number); lets tests slow workers down.</summary>
    internal Action<long>? BeforeChunk { get; set; }

    /// <summary><see cref="Workers"/> with 0 resolved to the processor count.</summary>
    internal int EffectiveWorkers => Workers == 0 ? Math.Min(Environment.ProcessorCount, MaxWorkers) : Workers;

    /// <summary>Throws when an option is out of range, naming the option and the value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Codec))
        {
            throw new ArgumentOutOfRangeException(nameof(Codec), Codec, $"SnapshotOptions.Codec: {(byte)Codec} is not a known codec.");
        }

        if (ChunkSize is < MinChunkSize or > MaxChunkSize)
        {
            throw new ArgumentOutOfRangeException(nameof(ChunkSize), ChunkSize, $"SnapshotOptions.ChunkSize must be from {MinChunkSize} to {MaxChunkSize} bytes.");
        }

        if (Workers is < 0 or > MaxWorkers)
        {
            throw new ArgumentOutOfRangeException(nameof(Workers), Workers, $"SnapshotOptions.Workers must be from 0 (processor count) to {MaxWorkers}.");
        }
    }
}
