using System.Buffers;

namespace Raft.Actors.Snapshots;

/// <summary>
/// Reads a stored snapshot as it is stored, without decompressing it: the header bytes, then one
/// frame at a time (each chunk frame with its payload, then the trailer). A leader sends these bytes
/// to a follower's <see cref="SnapshotReceiver"/> unchanged.
/// </summary>
/// <remarks>
/// <para>Each chunk's checksum is checked before its frame is returned (hashing costs a small
/// fraction of a decompression), so a leader does not send damage it could have seen; the trailer's
/// counts and digest are checked before the trailer is returned.</para>
/// <para><b>Resuming.</b> When a follower already holds a verified prefix, call
/// <see cref="SkipChunksAsync"/> with its <see cref="SnapshotReceiver.NextChunk"/>; the next frame is
/// then the first one it lacks, and <see cref="Offset"/> equals its <see cref="SnapshotReceiver.Length"/>.</para>
/// <para><b>Threading.</b> One caller at a time. The memory returned by <see cref="ReadFrameAsync"/>
/// is valid until the next call or disposal.</para>
/// </remarks>
public sealed class SnapshotFrameReader : IDisposable, IAsyncDisposable
{
    private readonly Stream _source;
    private readonly bool _leaveOpen;
    private readonly FrameSequence _frames;
    private readonly byte[] _headerBytes;
    private byte[] _buffer;

    private SnapshotFrameReader(Stream source, string name, SnapshotHeader header, byte[] headerBytes, bool leaveOpen)
    {
        _source = source;
        _leaveOpen = leaveOpen;
        _headerBytes = headerBytes;
        _frames = new FrameSequence(name, header, headerBytes);
        _buffer = ArrayPool<byte>.Shared.Rent(SnapshotFormat.ChunkFrameHeaderLength + header.ChunkSize);
    }

    /// <summary>The snapshot's header.</summary>
    public SnapshotHeader Header => _frames.Header;

    /// <summary>The header exactly as stored: the first bytes a receiver needs.</summary>
    public ReadOnlyMemory<byte> HeaderBytes => _headerBytes;

    /// <summary>The number of the chunk the next <see cref="ReadFrameAsync"/> returns (the chunks before it were read or skipped).</summary>
    public long NextChunk => _frames.Chunks;

    /// <summary>The offset in the snapshot of the frame the next <see cref="ReadFrameAsync"/> returns.</summary>
    public long Offset => _frames.Offset;

    /// <summary>True once the trailer was returned: the snapshot was read to its end.</summary>
    public bool IsAtEnd => _frames.Complete;

    /// <summary>Opens a snapshot at the current position of <paramref name="source"/> and checks its header.</summary>
    /// <param name="source">The snapshot's bytes; skipping is faster when it can seek.</param>
    /// <param name="name">The snapshot's name for errors.</param>
    /// <param name="leaveOpen">Whether disposing the reader leaves <paramref name="source"/> open.</param>
    /// <param name="cancellationToken">Cancels reading the header.</param>
    /// <exception cref="SnapshotCorruptedException">The header is damaged or missing.</exception>
    public static async ValueTask<SnapshotFrameReader> OpenAsync(Stream source, string name, bool leaveOpen = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(name);
        var (header, bytes) = await SnapshotFormat.ReadHeaderAsync(source, name, sync: false, cancellationToken).ConfigureAwait(false);
        return new SnapshotFrameReader(source, name, header, bytes, leaveOpen);
    }

    /// <summary>
    /// Reads and checks the next frame and returns its bytes as stored: a chunk frame (20 bytes and the
    /// payload) or, after the last chunk, the 32-byte trailer. Empty once the trailer was returned.
    /// </summary>
    /// <exception cref="SnapshotCorruptedException">The frame is damaged, or the file ends early.</exception>
    public async ValueTask<ReadOnlyMemory<byte>> ReadFrameAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        if (_frames.Complete)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        var head = _buffer.AsMemory(0, SnapshotFormat.ChunkFrameHeaderLength);
        var got = await ReadFullyAsync(head, cancellationToken).ConfigureAwait(false);
        if (got < head.Length)
        {
            throw _frames.Truncated(got, _buffer[0]);
        }

        if (_buffer[0] == SnapshotFormat.TrailerKind)
        {
            var rest = SnapshotFormat.TrailerLength - head.Length;
            got = await ReadFullyAsync(_buffer.AsMemory(head.Length, rest), cancellationToken).ConfigureAwait(false);
            if (got < rest)
            {
                throw _frames.Truncated(head.Length + got, SnapshotFormat.TrailerKind);
            }

            _frames.AcceptTrailer(_buffer.AsSpan(0, SnapshotFormat.TrailerLength));
            return _buffer.AsMemory(0, SnapshotFormat.TrailerLength);
        }

        var frame = _frames.ParseChunkFrame(_buffer.AsSpan(0, head.Length));
        got = await ReadFullyAsync(_buffer.AsMemory(head.Length, frame.StoredLength), cancellationToken).ConfigureAwait(false);
        if (got < frame.StoredLength)
        {
            throw _frames.Truncated(head.Length + got, SnapshotFormat.ChunkKind);
        }

        var bytes = _buffer.AsMemory(0, head.Length + frame.StoredLength);
        if (!SnapshotFormat.ChunkChecksumMatches(_frames.Chunks, bytes.Span, bytes.Span[head.Length..]))
        {
            throw _frames.ChunkError("checksum mismatch");
        }

        _frames.AcceptChunk(bytes.Span, frame);
        return bytes;
    }

    /// <summary>
    /// Moves past the next <paramref name="count"/> chunks without returning them (seeking past their
    /// payloads when the source can seek), to resume a transfer where a receiver stopped.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The snapshot has fewer chunks left.</exception>
    /// <exception cref="SnapshotCorruptedException">A frame header is damaged, or the file ends early.</exception>
    public async ValueTask SkipChunksAsync(long count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        for (var i = 0L; i < count; i++)
        {
            var head = _buffer.AsMemory(0, SnapshotFormat.ChunkFrameHeaderLength);
            var got = await ReadFullyAsync(head, cancellationToken).ConfigureAwait(false);
            if (got < head.Length)
            {
                throw _frames.Truncated(got, _buffer[0]);
            }

            if (_buffer[0] == SnapshotFormat.TrailerKind || _frames.Complete)
            {
                throw new ArgumentOutOfRangeException(nameof(count), count, $"Snapshot '{_frames.Name}' has only {_frames.Chunks} chunks.");
            }

            var frame = _frames.ParseChunkFrame(head.Span);
            if (_source.CanSeek)
            {
                _source.Seek(frame.StoredLength, SeekOrigin.Current);
            }
            else
            {
                got = await ReadFullyAsync(_buffer.AsMemory(head.Length, frame.StoredLength), cancellationToken).ConfigureAwait(false);
                if (got < frame.StoredLength)
                {
                    throw _frames.Truncated(head.Length + got, SnapshotFormat.ChunkKind);
                }
            }

            // The digest covers frame headers only, so skipping payloads keeps it right.
            _frames.AcceptChunk(head.Span, frame);
        }
    }

    /// <summary>Returns the buffer and closes the source unless told to leave it open.</summary>
    public void Dispose()
    {
        if (ReturnBuffer() && !_leaveOpen)
        {
            _source.Dispose();
        }
    }

    /// <summary>Returns the buffer and closes the source unless told to leave it open.</summary>
    public async ValueTask DisposeAsync()
    {
        if (ReturnBuffer() && !_leaveOpen)
        {
            await _source.DisposeAsync().ConfigureAwait(false);
        }
    }

    private bool ReturnBuffer()
    {
        if (_buffer.Length == 0)
        {
            return false;
        }

        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        return true;
    }

    private ValueTask<int> ReadFullyAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        SnapshotFormat.ReadFullyAsync(_source, buffer, sync: false, cancellationToken);
}
