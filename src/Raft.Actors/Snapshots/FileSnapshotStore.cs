using System.Globalization;
using Raft.Actors.Protocol;
using Raft.Actors.Storage;

namespace Raft.Actors.Snapshots;

/// <summary>
/// Keeps snapshots as files in one directory: <c>snapshot-{index}-{term}.snap</c>, published
/// atomically, the newest <see cref="FileSnapshotStoreOptions.Retain"/> kept; partial transfers in
/// <c>incoming/snapshot-{index}-{term}.partial</c>, kept across restarts.
/// </summary>
/// <remarks>
/// <para><b>Publish.</b> A snapshot is written to a temporary file
/// (<c>snapshot-{index}-{term}.{random}.tmp</c>, fsynced in the background every 16 MiB while it is
/// written so that the final fsync is short), fsynced, renamed to its final name, and then the
/// directory is fsynced, so that after a crash the directory holds either the old set of snapshots
/// or the old set plus the whole new one. Only then are older snapshots beyond the retention count
/// deleted. A temporary file left by a crash is never listed and is deleted when the store is
/// opened.</para>
/// <para>See <see cref="ISnapshotStore"/> for the contract. One store per directory.</para>
/// </remarks>
public sealed class FileSnapshotStore : ISnapshotStore
{
    private const string Prefix = "snapshot-";
    private const string Extension = ".snap";
    private const string TempExtension = ".tmp";
    private const string PartialExtension = ".partial";

    private readonly FileSnapshotStoreOptions _options;
    private readonly Lock _gate = new();

    /// <summary>Opens (creating when missing) the store's directory and deletes temporary files left by a crash.</summary>
    /// <exception cref="ArgumentException">An option is missing or out of range.</exception>
    public FileSnapshotStore(FileSnapshotStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        Directory = Path.GetFullPath(options.Directory);
        IncomingDirectory = Path.Combine(Directory, "incoming");
        System.IO.Directory.CreateDirectory(IncomingDirectory);
        foreach (var temp in System.IO.Directory.EnumerateFiles(Directory, Prefix + "*" + TempExtension))
        {
            // A snapshot whose creation did not reach its rename: never published, never listed.
            File.Delete(temp);
        }
    }

    /// <summary>The directory holding the published snapshots.</summary>
    public string Directory { get; }

    /// <summary>The directory holding partial transfers.</summary>
    public string IncomingDirectory { get; }

    /// <inheritdoc />
    public SnapshotOptions Options => _options.Snapshot;

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<SnapshotInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<SnapshotInfo>>(List());
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

        // FileShare.Delete: a later publish may delete this file while it is being read (on Unix the
        // reader keeps its bytes until it closes the file).
        Stream stream = new FileStream(snapshot.Name, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 64 * 1024, FileOptions.SequentialScan);
        return ValueTask.FromResult(stream);
    }

    /// <inheritdoc />
    public async ValueTask<SnapshotReader> OpenReaderAsync(SnapshotInfo snapshot, CancellationToken cancellationToken = default)
    {
        var stream = await OpenAsync(snapshot, cancellationToken).ConfigureAwait(false);
        try
        {
            return await SnapshotReader.OpenAsync(stream, snapshot.Name, Options, leaveOpen: false, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask<SnapshotFrameReader> OpenFramesAsync(SnapshotInfo snapshot, CancellationToken cancellationToken = default)
    {
        var stream = await OpenAsync(snapshot, cancellationToken).ConfigureAwait(false);
        try
        {
            return await SnapshotFrameReader.OpenAsync(stream, snapshot.Name, leaveOpen: false, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public ValueTask<PendingSnapshot> CreateAsync(SnapshotMetadata metadata, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var id = new SnapshotId(metadata.Index, metadata.Term);
        var temp = Path.Combine(Directory, $"{FileStem(id)}.{Guid.NewGuid():N}{TempExtension}");
        var file = new IncrementalSyncFileStream(temp);
        SnapshotWriter writer;
        try
        {
            writer = new SnapshotWriter(file, metadata, Options, leaveOpen: true);
        }
        catch
        {
            file.Dispose();
            File.Delete(temp);
            throw;
        }

        async ValueTask<SnapshotInfo> PublishAsync(SnapshotWriter content, CancellationToken ct)
        {
            await content.CompleteAsync(ct).ConfigureAwait(false);
            file.FlushToDisk();
            await content.DisposeAsync().ConfigureAwait(false);
            await file.DisposeAsync().ConfigureAwait(false);
            return Publish(temp, id, fromIncoming: false);
        }

        async ValueTask AbandonAsync()
        {
            await file.DisposeAsync().ConfigureAwait(false);
            File.Delete(temp);
        }

        return ValueTask.FromResult(new PendingSnapshot(writer, PublishAsync, AbandonAsync));
    }

    /// <inheritdoc />
    public async ValueTask<IncomingSnapshot> OpenIncomingAsync(SnapshotId id, CancellationToken cancellationToken = default)
    {
        var path = Path.Combine(IncomingDirectory, FileStem(id) + PartialExtension);

        // FileShare.None: a second open of the same transfer fails instead of interleaving appends.
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 64 * 1024);
        SnapshotReceiver receiver;
        try
        {
            receiver = await SnapshotReceiver.OpenAsync(file, path, id, leaveOpen: false, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await file.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        async ValueTask<SnapshotInfo> PublishAsync(SnapshotReceiver complete, CancellationToken ct)
        {
            await complete.FlushAsync(ct).ConfigureAwait(false);
            await complete.DisposeAsync().ConfigureAwait(false);
            return Publish(path, id, fromIncoming: true);
        }

        return new IncomingSnapshot(id, receiver, PublishAsync, static () => ValueTask.CompletedTask);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<SnapshotId>> ListIncomingAsync(CancellationToken cancellationToken = default)
    {
        var ids = new List<SnapshotId>();
        foreach (var path in System.IO.Directory.EnumerateFiles(IncomingDirectory, Prefix + "*" + PartialExtension))
        {
            if (TryParse(Path.GetFileName(path), PartialExtension, out var id))
            {
                ids.Add(id);
            }
        }

        ids.Sort();
        return ValueTask.FromResult<IReadOnlyList<SnapshotId>>(ids);
    }

    /// <inheritdoc />
    public ValueTask DeleteIncomingAsync(SnapshotId id, CancellationToken cancellationToken = default)
    {
        File.Delete(Path.Combine(IncomingDirectory, FileStem(id) + PartialExtension));
        return ValueTask.CompletedTask;
    }

    private static string FileStem(SnapshotId id) =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}{id.Index}-{id.Term}");

    private static bool TryParse(string fileName, string extension, out SnapshotId id)
    {
        id = default;
        if (!fileName.StartsWith(Prefix, StringComparison.Ordinal) || !fileName.EndsWith(extension, StringComparison.Ordinal))
        {
            return false;
        }

        var middle = fileName.AsSpan(Prefix.Length, fileName.Length - Prefix.Length - extension.Length);
        var dash = middle.IndexOf('-');
        if (dash < 0
            || !ulong.TryParse(middle[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || !ulong.TryParse(middle[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var term))
        {
            return false;
        }

        id = new SnapshotId(index, term);
        return FileStem(id) + extension == fileName;
    }

    // The file at source is whole and fsynced. Rename it into place, make the rename durable, and
    // only then delete what retention no longer needs.
    private SnapshotInfo Publish(string source, SnapshotId id, bool fromIncoming)
    {
        var target = Path.Combine(Directory, FileStem(id) + Extension);
        lock (_gate)
        {
            File.Move(source, target, overwrite: true);
            Fsync.Directory(Directory);
            if (fromIncoming)
            {
                Fsync.Directory(IncomingDirectory);
            }

            var all = List();
            for (var i = _options.Retain; i < all.Count; i++)
            {
                if (all[i].Id == id)
                {
                    continue; // Published out of order (older than the kept ones): still kept, as promised.
                }

                try
                {
                    File.Delete(all[i].Name);
                }
                catch (IOException)
                {
                    // An extra old snapshot is harmless; the next publish tries again.
                }
            }

            return new SnapshotInfo(id, new FileInfo(target).Length, target);
        }
    }

    private List<SnapshotInfo> List()
    {
        var all = new List<SnapshotInfo>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, Prefix + "*" + Extension))
        {
            if (TryParse(Path.GetFileName(path), Extension, out var id))
            {
                try
                {
                    all.Add(new SnapshotInfo(id, new FileInfo(path).Length, path));
                }
                catch (FileNotFoundException)
                {
                    // Deleted between the listing and the stat.
                }
            }
        }

        all.Sort(static (a, b) => b.Id.CompareTo(a.Id));
        return all;
    }
}
