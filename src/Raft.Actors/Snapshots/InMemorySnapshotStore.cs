using Raft.Actors.Protocol;

namespace Raft.Actors.Snapshots;

/// <summary>
/// An <see cref="ISnapshotStore"/> in memory, for tests and simulations: the same contract as
/// <see cref="FileSnapshotStore"/> (publish, retention, resumable incoming transfers), with nothing
/// surviving the instance.
/// </summary>
public sealed class InMemorySnapshotStore : ISnapshotStore
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<SnapshotId, byte[]> _published = [];
    private readonly Dictionary<SnapshotId, MemoryStream> _incoming = [];
    private readonly HashSet<SnapshotId> _incomingOpen = [];
    private readonly int _retain;

    /// <summary>Creates an empty store.</summary>
    /// <param name="options">Codec, chunk size and workers; defaults when null.</param>
    /// <param name="retain">How many published snapshots to keep, at least 1.</param>
    public InMemorySnapshotStore(SnapshotOptions? options = null, int retain = FileSnapshotStoreOptions.DefaultRetain)
    {
        Options = options ?? new SnapshotOptions();
        Options.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(retain, 1);
        _retain = retain;
    }

    /// <inheritdoc />
    public SnapshotOptions Options { get; }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<SnapshotInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var all = new List<SnapshotInfo>(_published.Count);
            foreach (var (id, bytes) in _published.Reverse())
            {
                all.Add(Info(id, bytes));
            }

            return ValueTask.FromResult<IReadOnlyList<SnapshotInfo>>(all);
        }
    }

    /// <inheritdoc />
    public async ValueTask<SnapshotInfo?> GetLatestAsync(CancellationToken cancellationToken = default)
    {
        var all = await ListAsync(cancellationToken).ConfigureAwait(false);
        return all.Count == 0 ? null : all[0];
    }

    /// <inheritdoc />
    public ValueTask<Stream> OpenAsync(SnapshotInfo snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        lock (_gate)
        {
            if (!_published.TryGetValue(snapshot.Id, out var bytes))
            {
                throw new FileNotFoundException($"Snapshot {snapshot.Id} is not in the store.", snapshot.Name);
            }

            return ValueTask.FromResult<Stream>(new MemoryStream(bytes, writable: false));
        }
    }

    /// <inheritdoc />
    public async ValueTask<SnapshotReader> OpenReaderAsync(SnapshotInfo snapshot, CancellationToken cancellationToken = default)
    {
        var stream = await OpenAsync(snapshot, cancellationToken).ConfigureAwait(false);
        return await SnapshotReader.OpenAsync(stream, snapshot.Name, Options, leaveOpen: false, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<SnapshotFrameReader> OpenFramesAsync(SnapshotInfo snapshot, CancellationToken cancellationToken = default)
    {
        var stream = await OpenAsync(snapshot, cancellationToken).ConfigureAwait(false);
        return await SnapshotFrameReader.OpenAsync(stream, snapshot.Name, leaveOpen: false, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<PendingSnapshot> CreateAsync(SnapshotMetadata metadata, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var id = new SnapshotId(metadata.Index, metadata.Term);
        var buffer = new MemoryStream();
        var writer = new SnapshotWriter(buffer, metadata, Options, leaveOpen: true);

        async ValueTask<SnapshotInfo> PublishAsync(SnapshotWriter content, CancellationToken ct)
        {
            await content.CompleteAsync(ct).ConfigureAwait(false);
            await content.DisposeAsync().ConfigureAwait(false);
            return Publish(id, buffer.ToArray());
        }

        return ValueTask.FromResult(new PendingSnapshot(writer, PublishAsync, static () => ValueTask.CompletedTask));
    }

    /// <inheritdoc />
    public async ValueTask<IncomingSnapshot> OpenIncomingAsync(SnapshotId id, CancellationToken cancellationToken = default)
    {
        MemoryStream file;
        lock (_gate)
        {
            if (!_incomingOpen.Add(id))
            {
                throw new IOException($"Incoming snapshot {id} is already open.");
            }

            if (!_incoming.TryGetValue(id, out file!))
            {
                file = new MemoryStream();
                _incoming[id] = file;
            }
        }

        var name = $"memory:incoming/{id.Index}-{id.Term}";
        SnapshotReceiver receiver;
        try
        {
            receiver = await SnapshotReceiver.OpenAsync(file, name, id, leaveOpen: true, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            lock (_gate)
            {
                _incomingOpen.Remove(id);
            }

            throw;
        }

        ValueTask<SnapshotInfo> PublishAsync(SnapshotReceiver complete, CancellationToken ct)
        {
            complete.Dispose();
            lock (_gate)
            {
                _incoming.Remove(id);
                _incomingOpen.Remove(id);
            }

            return ValueTask.FromResult(Publish(id, file.ToArray()));
        }

        ValueTask CloseAsync()
        {
            lock (_gate)
            {
                _incomingOpen.Remove(id);
            }

            return ValueTask.CompletedTask;
        }

        return new IncomingSnapshot(id, receiver, PublishAsync, CloseAsync);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<SnapshotId>> ListIncomingAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var ids = new List<SnapshotId>(_incoming.Keys);
            ids.Sort();
            return ValueTask.FromResult<IReadOnlyList<SnapshotId>>(ids);
        }
    }

    /// <inheritdoc />
    public ValueTask DeleteIncomingAsync(SnapshotId id, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _incoming.Remove(id);
        }

        return ValueTask.CompletedTask;
    }

    private static SnapshotInfo Info(SnapshotId id, byte[] bytes) => new(id, bytes.Length, $"memory:{id.Index}-{id.Term}");

    private SnapshotInfo Publish(SnapshotId id, byte[] bytes)
    {
        lock (_gate)
        {
            _published[id] = bytes;
            var kept = 0;
            foreach (var existing in _published.Keys.Reverse().ToList())
            {
                if (++kept > _retain && existing != id)
                {
                    _published.Remove(existing);
                }
            }

            return Info(id, bytes);
        }
    }
}
