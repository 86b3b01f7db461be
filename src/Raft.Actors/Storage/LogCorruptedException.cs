namespace Raft.Actors.Storage;

/// <summary>
/// A durable log holds bytes that fail their checksum (or break the log's structure) somewhere
/// other than the torn tail of the last write. The store refuses to open or to read past the
/// damage rather than skip it: skipping could hide an acknowledged entry. A human decides what
/// to do; <see cref="FileLogStore.RepairAsync"/> (<see cref="SharedLog.RepairAsync"/>) can cut the log at <see cref="Offset"/>.
/// </summary>
public sealed class LogCorruptedException : IOException
{
    /// <summary>Creates the exception for damage found in <paramref name="filePath"/> at <paramref name="offset"/>.</summary>
    /// <param name="filePath">The file that holds the damaged bytes.</param>
    /// <param name="offset">Byte offset of the first damaged record in that file.</param>
    /// <param name="reason">What check failed.</param>
    public LogCorruptedException(string filePath, long offset, string reason)
        : base($"Log corrupted in '{filePath}' at offset {offset}: {reason}. The store will not open past damaged data; inspect the file and, if you accept losing the data from this point on, call FileLogStore.RepairAsync (SharedLog.RepairAsync for a shared log) with this file and offset.")
    {
        FilePath = filePath;
        Offset = offset;
        Reason = reason;
    }

    /// <summary>Creates the exception and remembers where a repair would cut (the start of the damaged batch).</summary>
    internal LogCorruptedException(string filePath, long offset, string reason, long cutOffset)
        : this(filePath, offset, reason)
    {
        CutOffset = cutOffset;
    }

    /// <summary>Full path of the file that holds the damaged bytes.</summary>
    public string FilePath { get; }

    /// <summary>Byte offset of the first damaged record in <see cref="FilePath"/>.</summary>
    public long Offset { get; }

    /// <summary>What check failed (checksum, structure, sequence).</summary>
    public string Reason { get; }

    /// <summary>Where a repair cuts: the start of the batch that holds the damage.</summary>
    internal long CutOffset { get; } = -1;
}
