using Raft.Actors.Protocol;

namespace Raft.Actors.Storage;

public sealed partial class SharedLog
{
    /// <summary>
    /// One group's view of the shared log, with the <see cref="ILogStore"/> contract. Reads are
    /// served from the segment files under the log's lock (the writer moves a group's records
    /// only under it), so a read briefly delays the bookkeeping of the write in flight.
    /// </summary>
    private sealed class GroupLog(SharedLog log, GroupState group) : ILogStore
    {
        private bool _disposed;

        public ulong FirstIndex { get { lock (log._gate) { return group.Index.CompactedIndex + 1; } } }

        public ulong LastIndex { get { lock (log._gate) { return group.Index.LastIndex; } } }

        public ulong CompactedIndex { get { lock (log._gate) { return group.Index.CompactedIndex; } } }

        public ValueTask<LogState> LoadAsync(CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            lock (log._gate)
            {
                ThrowIfDisposed();
                var index = group.Index;
                var entries = LogIndex.Read(index.Slice(index.CompactedIndex + 1, index.LastIndex + 1));
                return ValueTask.FromResult(new LogState(group.HardState, index.CompactedIndex, index.CompactedTerm, entries, log._chain.DiskId));
            }
        }

        public ValueTask AppendAsync(LogBatch batch, CancellationToken cancellationToken = default)
        {
            ThrowIfDisposed();
            return log.AppendAsync(group, batch, cancellationToken);
        }

        public ValueTask<IReadOnlyList<Entry>> ReadAsync(ulong from, ulong toExclusive, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            lock (log._gate)
            {
                ThrowIfDisposed();
                return ValueTask.FromResult<IReadOnlyList<Entry>>(LogIndex.Read(group.Index.Slice(from, toExclusive)));
            }
        }

        public bool TryGetTerm(ulong index, out ulong term)
        {
            lock (log._gate)
            {
                return group.Index.TryGetTerm(index, out term);
            }
        }

        public ValueTask CompactAsync(ulong throughIndex, ulong throughTerm, CancellationToken cancellationToken = default)
        {
            ThrowIfDisposed();
            return log.CompactAsync(group, throughIndex, throughTerm, cancellationToken);
        }

        public ValueTask DisposeAsync()
        {
            lock (log._gate)
            {
                if (!_disposed)
                {
                    _disposed = true;
                    group.IsOpen = false;
                }
            }

            return ValueTask.CompletedTask;
        }

        private void ThrowIfDisposed()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ObjectDisposedException.ThrowIf(log._disposed, log);
        }
    }
}
