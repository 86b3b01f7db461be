using Microsoft.Extensions.Logging;

namespace Raft.Actors.Storage;

/// <summary>Log messages of <see cref="FileLogStore"/>.</summary>
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
}
