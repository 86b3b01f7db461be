using Microsoft.Extensions.Logging;

namespace Raft.Actors.Storage;

/// <summary>Log messages of <see cref="FileLogStore"/> and <see cref="SharedLog"/>.</summary>
internal static partial class FileLogStoreLog
{
    [LoggerMessage(1, LogLevel.Warning, "Log {Path}: torn tail at offset {Offset} ({Bytes} bytes of an unacknowledged write) truncated")]
    public static partial void TornTailTruncated(ILogger logger, string path, long offset, long bytes);

    [LoggerMessage(2, LogLevel.Information, "Log {Directory} opened: entries ({CompactedIndex}, {LastIndex}], {Segments} segments, {Bytes} bytes scanned in {Milliseconds} ms")]
    public static partial void Opened(ILogger logger, string directory, ulong compactedIndex, ulong lastIndex, int segments, long bytes, long milliseconds);

    [LoggerMessage(3, LogLevel.Debug, "Log segment {Path} deleted (compacted through {CompactedIndex})")]
    public static partial void SegmentDeleted(ILogger logger, string path, ulong compactedIndex);

    [LoggerMessage(4, LogLevel.Warning, "Log {Path}: unused segment file removed ({Reason})")]
    public static partial void UnusedSegmentRemoved(ILogger logger, string path, string reason);

    [LoggerMessage(5, LogLevel.Warning, "Log {Path} repaired: cut at offset {Offset}, {SegmentsDeleted} later segments deleted")]
    public static partial void Repaired(ILogger logger, string path, long offset, int segmentsDeleted);

    [LoggerMessage(6, LogLevel.Information, "Shared log {Directory} opened: {Groups} groups, {Segments} segments, {Bytes} bytes scanned in {Milliseconds} ms")]
    public static partial void SharedOpened(ILogger logger, string directory, int groups, int segments, long bytes, long milliseconds);

    [LoggerMessage(7, LogLevel.Debug, "Shared log segment {Path} deleted: no group needs a record in it")]
    public static partial void SharedSegmentDeleted(ILogger logger, string path);

    [LoggerMessage(8, LogLevel.Debug, "Shared log {Directory}: live records of {Groups} groups ({Bytes} bytes) rewritten into the current segment to free the oldest")]
    public static partial void GroupsRelocated(ILogger logger, string directory, int groups, long bytes);

    [LoggerMessage(9, LogLevel.Warning, "Shared log {Directory}: reclaiming old segments failed")]
    public static partial void ReclaimFailed(ILogger logger, string directory, Exception exception);
}
