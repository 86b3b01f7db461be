using System.Buffers;
using System.Buffers.Binary;

namespace Raft.Actors.Snapshots;

/// <summary>
/// The follower's side of a chunked snapshot transfer: appends the header and frames a leader read
/// with <see cref="SnapshotFrameReader"/> to a file, checking each one before it is kept, so that the
/// file always holds a verified prefix of the snapshot and a transfer interrupted by a crash resumes
/// after the last intact chunk.
/// </summary>
/// <remarks>
/// <para><b>Recovery.</b> <see cref="OpenAsync"/> reads what the file holds and keeps the longest
/// prefix that checks out (header, whole chunk frames with matching checksums, and the trailer if
/// it is there); a torn or damaged tail is cut off (<see cref="TrimmedBytes"/>). The transfer then
/// continues at <see cref="Length"/> with chunk <see cref="NextChunk"/>.</para>
/// <para><b>Durability.</b> Appended bytes reach the file at once but are durable only after
/// <see cref="FlushAsync"/>. Without it a crash loses some suffix, which recovery cuts off.</para>
/// <para><b>Splicing.</b> Two encodings of the same snapshot (another leader, another chunk size)
/// differ byte for byte. Resuming one on top of the other's prefix is caught at the latest by the
/// trailer's whole-file digest; the caller then starts over from offset 0.</para>
/// <para><b>Threading.</b> One caller at a time.</para>
/// </remarks>
public sealed class SnapshotReceiver : IDisposable, IAsyncDisposable
{
    private readonly Stream _file;
    private readonly bool _leaveOpen;
    private readonly SnapshotId? _expected;
    private FrameSequence? _frames;
    private bool _faulted;
    private bool _disposed;

    private SnapshotReceiver(Stream file, string name, SnapshotId? expected, bool leaveOpen)
    {
        _file = file;
        Name = name;
        _expected = expected;
        _leaveOpen = leaveOpen;
    }

    /// <summary>The snapshot's name for errors.</summary>
    public string Name { get; }

    /// <summary>The header, once received; null before.</summary>
    public SnapshotHeader? Header => _frames?.Header;

    /// <summary>Bytes of verified snapshot held: the offset where the next bytes must start.</summary>
    public long Length => _frames?.Offset ?? 0;

    /// <summary>Chunks held: the number of the next chunk expected.</summary>
    public long NextChunk => _frames?.Chunks ?? 0;

    /// <summary>True once the trailer arrived and the whole snapshot checked out; nothing more may be appended.</summary>
    public bool IsComplete => _frames?.Complete ?? false;

    /// <summary>Bytes that <see cref="OpenAsync"/> cut off the end of the file because they did not check out.</summary>
    public long TrimmedBytes { get; private set; }

    /// <summary>
    /// Opens (or starts) a partial snapshot file, keeps its longest verified prefix and cuts off the
    /// rest; the file is positioned at its end.
    /// </summary>
    /// <param name="file">A readable, writable, seekable stream: the partial file.</param>
    /// <param name="name">The snapshot's name for errors.</param>
    /// <param name="expected">When set, a header for another index or term is rejected as damage.</param>
    /// <param name="leaveOpen">Whether disposing the receiver leaves <paramref name="file"/> open.</param>
    /// <param name="cancellationToken">Cancels the recovery scan.</param>
    public static async ValueTask<SnapshotReceiver> OpenAsync(Stream file, string name, SnapshotId? expected = null, bool leaveOpen = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(name);
        if (!file.CanRead || !file.CanWrite || !file.CanSeek)
        {
            throw new ArgumentException("The partial snapshot file must be readable, writable and seekable.", nameof(file));
        }

        var receiver = new SnapshotReceiver(file, name, expected, leaveOpen);
        await receiver.RecoverAsync(cancellationToken).ConfigureAwait(false);
        return receiver;
    }

    /// <summary>
    /// Checks <paramref name="frames"/> (whole units in order: the header first if none was received
    /// yet, then chunk frames, then the trailer) and appends each one that checks out. They must start
    /// at <see cref="Length"/>; the caller compares the sender's offset with it first.
    /// </summary>
    /// <exception cref="SnapshotCorruptedException">
    /// A unit is damaged, incomplete, out of order or for another snapshot. The units before it were
    /// appended; it and everything after it were not. Ask the sender to resume at <see cref="Length"/>.
    /// </exception>
    /// <exception cref="InvalidOperationException">A write failed earlier; reopen the receiver.</exception>
    public async ValueTask AppendAsync(ReadOnlyMemory<byte> frames, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_faulted)
        {
            throw new InvalidOperationException($"Snapshot '{Name}': a write failed earlier; reopen the receiver to recover the file.");
        }

        var start = Length;
        var accepted = Check(frames.Span, out var error);
        if (accepted > 0)
        {
            try
            {
                _file.Position = start;
                await _file.WriteAsync(frames[..accepted], cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // The in-memory state already counts these bytes; only a reopen knows what the file holds.
                _faulted = true;
                throw;
            }
        }

        if (error is not null)
        {
            throw error;
        }
    }

    /// <summary>Makes every appended byte durable (fsync for a file).</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_file is FileStream fileStream)
        {
            fileStream.Flush(flushToDisk: true);
        }
        else
        {
            await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Closes the file unless told to leave it open; the partial file stays for a later resume.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (!_leaveOpen)
            {
                _file.Dispose();
            }
        }
    }

    /// <summary>Closes the file unless told to leave it open; the partial file stays for a later resume.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (!_leaveOpen)
            {
                await _file.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    // Checks units one by one and advances the sequence past each good one; returns the bytes
    // accepted and the error that stopped it, if any.
    private int Check(ReadOnlySpan<byte> bytes, out SnapshotCorruptedException? error)
    {
        error = null;
        var at = 0;
        try
        {
            while (at < bytes.Length)
            {
                at += CheckUnit(bytes[at..]);
            }
        }
        catch (SnapshotCorruptedException e)
        {
            error = e;
        }

        return at;
    }

    private int CheckUnit(ReadOnlySpan<byte> rest)
    {
        if (_frames is null)
        {
            if (rest.Length < SnapshotFormat.HeaderPrefixLength)
            {
                throw SnapshotFormat.HeaderError(Name, $"only {rest.Length} bytes of the header arrived");
            }

            var length = SnapshotFormat.ReadHeaderLength(rest, Name);
            if (rest.Length < length)
            {
                throw SnapshotFormat.HeaderError(Name, $"only {rest.Length} of the header's {length} bytes arrived");
            }

            var header = SnapshotFormat.DecodeHeader(rest[..length], Name);
            var id = new SnapshotId(header.Metadata.Index, header.Metadata.Term);
            if (_expected is { } expected && id != expected)
            {
                throw SnapshotFormat.HeaderError(Name, $"the header is for {id}, this transfer is for {expected}");
            }

            _frames = new FrameSequence(Name, header, rest[..length]);
            return length;
        }

        if (rest[0] == SnapshotFormat.TrailerKind)
        {
            if (rest.Length < SnapshotFormat.TrailerLength)
            {
                throw _frames.Truncated(rest.Length, SnapshotFormat.TrailerKind);
            }

            _frames.AcceptTrailer(rest[..SnapshotFormat.TrailerLength]);
            return SnapshotFormat.TrailerLength;
        }

        if (rest.Length < SnapshotFormat.ChunkFrameHeaderLength)
        {
            throw _frames.Truncated(rest.Length, rest[0]);
        }

        var frame = _frames.ParseChunkFrame(rest);
        var total = SnapshotFormat.ChunkFrameHeaderLength + frame.StoredLength;
        if (rest.Length < total)
        {
            throw _frames.Truncated(rest.Length, SnapshotFormat.ChunkKind);
        }

        if (!SnapshotFormat.ChunkChecksumMatches(_frames.Chunks, rest, rest[SnapshotFormat.ChunkFrameHeaderLength..total]))
        {
            throw _frames.ChunkError("checksum mismatch");
        }

        _frames.AcceptChunk(rest, frame);
        return total;
    }

    // Scans the file with the same checks as AppendAsync, one unit at a time, and cuts it after the
    // last unit that checks out.
    private async ValueTask RecoverAsync(CancellationToken cancellationToken)
    {
        var fileLength = _file.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(SnapshotFormat.MaxHeaderLength);
        try
        {
            while (!IsComplete)
            {
                if (_frames is not null && buffer.Length < SnapshotFormat.ChunkFrameHeaderLength + _frames.Header.ChunkSize)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = [];
                    buffer = ArrayPool<byte>.Shared.Rent(SnapshotFormat.ChunkFrameHeaderLength + _frames.Header.ChunkSize);
                }

                var length = await ReadUnitAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (length == 0 || Check(buffer.AsSpan(0, length), out _) != length)
                {
                    break;
                }
            }
        }
        finally
        {
            if (buffer.Length != 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        TrimmedBytes = fileLength - Length;
        if (TrimmedBytes != 0)
        {
            _file.SetLength(Length);
        }

        _file.Position = Length;
    }

    // Reads the next whole unit at Length, as long as its length fields say, into buffer (which is
    // big enough for any unit the header allows); 0 means nothing usable is left. Check checks it.
    private async ValueTask<int> ReadUnitAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        _file.Position = Length;
        var prefixLength = _frames is null ? SnapshotFormat.HeaderPrefixLength : SnapshotFormat.ChunkFrameHeaderLength;
        var got = await SnapshotFormat.ReadFullyAsync(_file, buffer.AsMemory(0, prefixLength), sync: false, cancellationToken).ConfigureAwait(false);
        if (got < prefixLength)
        {
            return 0;
        }

        int wanted;
        if (_frames is null)
        {
            try
            {
                wanted = SnapshotFormat.ReadHeaderLength(buffer, Name);
            }
            catch (SnapshotCorruptedException)
            {
                return 0;
            }
        }
        else if (buffer[0] == SnapshotFormat.TrailerKind)
        {
            wanted = SnapshotFormat.TrailerLength;
        }
        else
        {
            var storedLength = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(8));
            if (storedLength < 1 || storedLength > _frames.Header.ChunkSize)
            {
                return 0;
            }

            wanted = SnapshotFormat.ChunkFrameHeaderLength + storedLength;
        }

        _file.Position = Length;
        var read = await SnapshotFormat.ReadFullyAsync(_file, buffer.AsMemory(0, wanted), sync: false, cancellationToken).ConfigureAwait(false);
        return read == wanted ? wanted : 0;
    }
}
