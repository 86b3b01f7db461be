using System.Diagnostics;
using Raft.Actors.Protocol;

namespace Raft.Actors.Storage;

public sealed partial class FileLogStore
{
    /// <summary>
    /// Opens (or creates) the log in <paramref name="directory"/>, locks the directory against
    /// other processes, and rebuilds the index by reading every segment.
    /// </summary>
    /// <exception cref="LogCorruptedException">Damage that is not a torn tail.</exception>
    /// <exception cref="IOException">The directory is locked by another store or cannot be used.</exception>
    public static ValueTask<FileLogStore> OpenAsync(string directory, FileLogStoreOptions? options = null, CancellationToken cancellationToken = default)
        => SegmentChain.OpenInBackground(directory, options, cancellationToken, Open);

    private static async Task<FileLogStore> Open(string directory, FileLogStoreOptions options)
    {
        var stopwatch = Stopwatch.StartNew();
        var index = new LogIndex();
        HardState hardState = default;
        var chain = SegmentChain.Open(directory, options, (segment, batch, firstSegment, batchStart) =>
        {
            foreach (var record in batch)
            {
                switch (record.Kind)
                {
                    case RecordKind.SegmentHeader:
                        hardState = record.Header.HardState;
                        index.Compact(record.Header.CompactedIndex, record.Header.CompactedTerm);
                        break;
                    case RecordKind.HardState:
                        hardState = record.HardState;
                        break;
                    case RecordKind.Group or RecordKind.Drop:
                        throw new LogCorruptedException(segment.Path, record.Offset, "a record of a shared log (SharedLog) in a single-group log", batchStart);
                    default:
                        index.Replay(segment, record.Kind, record.Index, record.Term, record.Location, firstSegment, batchStart);
                        break;
                }
            }
        });

        var store = new FileLogStore(chain, index) { _hardState = hardState };
        if (index.BaseIndex != index.CompactedIndex)
        {
            await chain.DisposeAsync().ConfigureAwait(false);
            throw new LogCorruptedException(chain.Segments[0].Path, 0, $"the log resumes at entry {index.BaseIndex + 1} but the snapshot covers only through {index.CompactedIndex}: an earlier segment is missing");
        }

        FileLogStoreLog.Opened(options.Logger, directory, index.CompactedIndex, index.LastIndex, chain.Segments.Count, chain.BytesScanned, stopwatch.ElapsedMilliseconds);
        return store;
    }
}
