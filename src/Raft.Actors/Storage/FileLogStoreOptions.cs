using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Raft.Actors.Storage;

/// <summary>Settings of a <see cref="FileLogStore"/>.</summary>
public sealed class FileLogStoreOptions
{
    /// <summary>Default <see cref="SegmentSize"/>: 64 MiB.</summary>
    public const long DefaultSegmentSize = 64L << 20;

    /// <summary>Smallest allowed <see cref="SegmentSize"/>: 64 KiB (small segments are for tests).</summary>
    public const long MinSegmentSize = 64L << 10;

    /// <summary>Largest allowed <see cref="SegmentSize"/>: 1 GiB.</summary>
    public const long MaxSegmentSize = 1L << 30;

    /// <summary>
    /// Size each segment file is preallocated to (zero-filled). A batch that does not fit in what
    /// is left of the current segment goes to the next one; a batch larger than a whole segment
    /// grows its segment. Compaction frees space a whole segment at a time. Multiple of 4 KiB.
    /// </summary>
    public long SegmentSize { get; set; } = DefaultSegmentSize;

    /// <summary>Where recovery decisions (a torn tail truncated, segments deleted) are logged.</summary>
    public ILogger Logger { get; set; } = NullLogger.Instance;

    /// <summary>Throws <see cref="ArgumentException"/> naming the option and the bad value.</summary>
    public void Validate()
    {
        if (SegmentSize < MinSegmentSize || SegmentSize > MaxSegmentSize || SegmentSize % 4096 != 0)
        {
            throw new ArgumentException($"FileLogStoreOptions.SegmentSize = {SegmentSize}: must be a multiple of 4096 in [{MinSegmentSize}, {MaxSegmentSize}].", nameof(SegmentSize));
        }

        if (Logger is null)
        {
            throw new ArgumentException("FileLogStoreOptions.Logger = null: use NullLogger.Instance to log nothing.", nameof(Logger));
        }
    }
}
