using Microsoft.Extensions.Logging;

namespace Raft.Actors.Storage;

internal sealed partial class SegmentChain
{
    /// <summary>
    /// Cuts the log in <paramref name="directory"/> at the batch holding the damage that
    /// <paramref name="open"/> (which opens and closes the log) reports at exactly
    /// <paramref name="filePath"/> and <paramref name="offset"/>; nothing when it opens, and
    /// nothing, rethrowing, when it reports damage elsewhere.
    /// </summary>
    public static async ValueTask<LogRepairResult?> RepairAsync(string directory, string filePath, long offset, FileLogStoreOptions options, Func<Task> open, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(filePath);
        LogCorruptedException damage;
        try
        {
            await open().ConfigureAwait(false);
            return null;
        }
        catch (LogCorruptedException ex) when (Path.GetFullPath(ex.FilePath) == Path.GetFullPath(filePath) && ex.Offset == offset)
        {
            damage = ex;
        }

        cancellationToken.ThrowIfCancellationRequested();
        return Cut(Path.GetFullPath(directory), damage, options.Logger);
    }

    /// <summary>
    /// Cuts the log in <paramref name="directory"/> at the batch holding <paramref name="damage"/>
    /// (zeros from there, later segments deleted, newest first so that a crash during the repair
    /// leaves a prefix of the segments). The caller has checked that opening fails there.
    /// </summary>
    private static LogRepairResult Cut(string directory, LogCorruptedException damage, ILogger logger)
    {
        using (DirectoryLock.Acquire(directory))
        {
            var cut = damage.CutOffset >= 0 ? damage.CutOffset : damage.Offset;
            var damaged = Path.GetFileName(damage.FilePath);
            if (!LogSegment.TryParseFileName(damaged, out var sequence))
            {
                throw new ArgumentException($"'{damage.FilePath}' is not a segment file of this log.", "filePath");
            }

            // Newest first, so that a crash during the repair leaves a prefix of the segments.
            List<ulong> later = [];
            foreach (var path in System.IO.Directory.EnumerateFiles(directory, "*" + LogSegment.Extension))
            {
                if (LogSegment.TryParseFileName(Path.GetFileName(path), out var other) && other > sequence)
                {
                    later.Add(other);
                }
            }

            later.Sort();
            later.Reverse();
            foreach (var other in later)
            {
                File.Delete(Path.Combine(directory, LogSegment.FileName(other)));
                Fsync.Directory(directory);
            }

            long removed;
            using (var segment = LogSegment.Open(directory, sequence))
            {
                removed = segment.Length - cut;
                segment.Zero(cut, segment.Length);
            }

            FileLogStoreLog.Repaired(logger, damage.FilePath, cut, later.Count);
            return new LogRepairResult(damage.FilePath, cut, removed, later.Count);
        }
    }
}
