using System.Runtime.ExceptionServices;

namespace Raft.Actors.Snapshots;

/// <summary>
/// A read-only stream of a snapshot's state: it reads chunk frames ahead from the source, verifies
/// and decompresses them on worker threads, and returns the state in order.
/// </summary>
/// <remarks>
/// <para><b>Verification.</b> Every chunk's checksum is checked before its bytes are returned, and
/// the trailer (chunk count, length, whole-file digest) before the end of the stream is reported, so
/// a reader returns either the exact state that was written or a
/// <see cref="SnapshotCorruptedException"/> that names the snapshot and the damaged chunk, header or
/// trailer. Bytes before the damage may already have been returned; the state machine must discard
/// what it restored when the exception comes. A damaged file never yields wrong bytes.</para>
/// <para><b>Memory.</b> At most 2 × workers chunks are in flight (read, being decompressed, or
/// being returned); buffers come from the shared array pool and go back on disposal.</para>
/// <para><b>Threading.</b> One caller at a time, like any stream; the workers are internal.</para>
/// </remarks>
public sealed class SnapshotReader : Stream
{
    private readonly Stream _source;
    private readonly bool _leaveOpen;
    private readonly FrameSequence _frames;
    private readonly ChunkPipeline _pipeline;
    private readonly byte[] _trailer = new byte[SnapshotFormat.TrailerLength];
    private long _submitted;
    private long _consumed;
    private ChunkSlot? _current;
    private int _currentOffset;
    private long _position;
    private bool _sourceDone;

    // Damage found by reading ahead, reported once every chunk before it was returned.
    private SnapshotCorruptedException? _pendingError;

    // The error already reported; every later read repeats it.
    private Exception? _fault;
    private bool _disposed;

    private SnapshotReader(Stream source, string name, SnapshotHeader header, byte[] headerBytes, SnapshotOptions options, bool leaveOpen)
    {
        _source = source;
        _leaveOpen = leaveOpen;
        Name = name;
        _frames = new FrameSequence(name, header, headerBytes);
        _pipeline = new ChunkPipeline(options.EffectiveWorkers, header.ChunkSize, header.Codec, Verify, options.BeforeChunk);
    }

    /// <summary>The snapshot's name as given when opened (used in errors).</summary>
    public string Name { get; }

    /// <summary>The snapshot's header, checked when the reader was opened.</summary>
    public SnapshotHeader Header => _frames.Header;

    /// <inheritdoc />
    public override bool CanRead => !_disposed;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => false;

    /// <summary>Not supported: the state's length is known only at the trailer.</summary>
    public override long Length => throw new NotSupportedException();

    /// <summary>Bytes of state returned so far; cannot be set.</summary>
    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    /// <summary>Chunks that were ever in flight at once; never above <see cref="ChunkCapacity"/>.</summary>
    internal int MaxChunksInFlight => _pipeline.MaxInFlight;

    /// <summary>The in-flight bound: 2 × workers.</summary>
    internal int ChunkCapacity => _pipeline.Capacity;

    /// <summary>Opens a snapshot at the current position of <paramref name="source"/> and checks its header.</summary>
    /// <param name="source">The snapshot's bytes.</param>
    /// <param name="name">The snapshot's name for errors (its file path, typically).</param>
    /// <param name="options">Only <see cref="SnapshotOptions.Workers"/> is used; the rest comes from the header.</param>
    /// <param name="leaveOpen">Whether disposing the reader leaves <paramref name="source"/> open.</param>
    /// <exception cref="SnapshotCorruptedException">The header is damaged or missing.</exception>
    public static SnapshotReader Open(Stream source, string name, SnapshotOptions? options = null, bool leaveOpen = false) =>
        OpenCoreAsync(source, name, options, leaveOpen, sync: true, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>The asynchronous form of <see cref="Open"/>.</summary>
    /// <exception cref="SnapshotCorruptedException">The header is damaged or missing.</exception>
    public static ValueTask<SnapshotReader> OpenAsync(Stream source, string name, SnapshotOptions? options = null, bool leaveOpen = false, CancellationToken cancellationToken = default) =>
        OpenCoreAsync(source, name, options, leaveOpen, sync: false, cancellationToken);

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc />
    /// <exception cref="SnapshotCorruptedException">The next bytes are damaged.</exception>
    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (true)
        {
            if (TryCopyFromCurrent(buffer, out var copied))
            {
                return copied;
            }

            if (!NextChunkAsync(sync: true, CancellationToken.None).GetAwaiter().GetResult())
            {
                return 0;
            }
        }
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc />
    /// <exception cref="SnapshotCorruptedException">The next bytes are damaged.</exception>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (true)
        {
            if (TryCopyFromCurrent(buffer.Span, out var copied))
            {
                return copied;
            }

            if (!await NextChunkAsync(sync: false, cancellationToken).ConfigureAwait(false))
            {
                return 0;
            }
        }
    }

    /// <summary>Not supported.</summary>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>Not supported.</summary>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <summary>Not supported.</summary>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Does nothing.</summary>
    public override void Flush()
    {
    }

    /// <summary>Stops the workers and returns the buffers.</summary>
    public override async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _pipeline.Dispose();
        if (!_leaveOpen)
        {
            await _source.DisposeAsync().ConfigureAwait(false);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Stops the workers and returns the buffers.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _pipeline.Dispose();
            if (!_leaveOpen)
            {
                _source.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private static async ValueTask<SnapshotReader> OpenCoreAsync(Stream source, string name, SnapshotOptions? options, bool leaveOpen, bool sync, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(name);
        options ??= new SnapshotOptions();
        options.Validate();
        var (header, bytes) = await SnapshotFormat.ReadHeaderAsync(source, name, sync, cancellationToken).ConfigureAwait(false);
        return new SnapshotReader(source, name, header, bytes, options, leaveOpen);
    }

    private bool TryCopyFromCurrent(Span<byte> buffer, out int copied)
    {
        copied = 0;
        if (buffer.IsEmpty)
        {
            return true;
        }

        if (_current is null || _currentOffset == _current.RawLength)
        {
            return false;
        }

        var output = _current.StoredAsIs ? _current.Stored : _current.Raw;
        copied = Math.Min(buffer.Length, _current.RawLength - _currentOffset);
        output.AsSpan(_currentOffset, copied).CopyTo(buffer);
        _currentOffset += copied;
        _position += copied;
        return true;
    }

    // Makes the next verified chunk current; false at the end of a whole snapshot. Errors come in
    // file order: a damaged chunk before a structural error found while reading ahead wins.
    private async ValueTask<bool> NextChunkAsync(bool sync, CancellationToken cancellationToken)
    {
        if (_fault is not null)
        {
            ExceptionDispatchInfo.Capture(_fault).Throw();
        }

        if (_current is not null)
        {
            _current = null;
            _consumed++;
            _pipeline.Retire();
        }

        await ReadAheadAsync(sync, cancellationToken).ConfigureAwait(false);
        if (_consumed == _submitted)
        {
            if (_pendingError is not null)
            {
                _fault = _pendingError;
                throw _pendingError;
            }

            return false;
        }

        var slot = _pipeline.SlotFor(_consumed);
        if (sync)
        {
            slot.Done.Wait(cancellationToken);
        }
        else
        {
            await slot.Done.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (slot.Error is not null)
        {
            _fault = slot.Error;
            ExceptionDispatchInfo.Capture(_fault).Throw();
        }

        _current = slot;
        _currentOffset = 0;
        return true;
    }

    // Reads frames into free slots and hands them to the workers until every slot is taken or the
    // trailer (or damage) is reached. Damage found here is kept and reported after the chunks
    // before it.
    private async ValueTask ReadAheadAsync(bool sync, CancellationToken cancellationToken)
    {
        while (!_sourceDone && _pipeline.InFlight < _pipeline.Capacity)
        {
            var slot = _pipeline.SlotFor(_submitted);
            try
            {
                var got = await SnapshotFormat.ReadFullyAsync(_source, slot.FrameHeader, sync, cancellationToken).ConfigureAwait(false);
                if (got < SnapshotFormat.ChunkFrameHeaderLength)
                {
                    throw _frames.Truncated(got, slot.FrameHeader[0]);
                }

                if (slot.FrameHeader[0] == SnapshotFormat.TrailerKind)
                {
                    await ReadTrailerAsync(slot.FrameHeader, sync, cancellationToken).ConfigureAwait(false);
                    _sourceDone = true;
                    return;
                }

                var frame = _frames.ParseChunkFrame(slot.FrameHeader);
                got = await SnapshotFormat.ReadFullyAsync(_source, slot.Stored.AsMemory(0, frame.StoredLength), sync, cancellationToken).ConfigureAwait(false);
                if (got < frame.StoredLength)
                {
                    throw _frames.Truncated(SnapshotFormat.ChunkFrameHeaderLength + got, SnapshotFormat.ChunkKind);
                }

                slot.Number = _frames.Chunks;
                slot.Offset = _frames.Offset;
                slot.RawLength = frame.RawLength;
                slot.StoredLength = frame.StoredLength;
                slot.StoredAsIs = frame.StoredAsIs;
                _frames.AcceptChunk(slot.FrameHeader, frame);
            }
            catch (SnapshotCorruptedException e)
            {
                _pendingError = e;
                _sourceDone = true;
                return;
            }

            _pipeline.Submit(slot);
            _submitted++;
        }
    }

    private async ValueTask ReadTrailerAsync(byte[] start, bool sync, CancellationToken cancellationToken)
    {
        start.CopyTo(_trailer, 0);
        var rest = SnapshotFormat.TrailerLength - start.Length;
        var got = await SnapshotFormat.ReadFullyAsync(_source, _trailer.AsMemory(start.Length, rest), sync, cancellationToken).ConfigureAwait(false);
        if (got < rest)
        {
            throw _frames.Truncated(start.Length + got, SnapshotFormat.TrailerKind);
        }

        _frames.AcceptTrailer(_trailer);
        var extra = await SnapshotFormat.ReadFullyAsync(_source, _trailer.AsMemory(0, 1), sync, cancellationToken).ConfigureAwait(false);
        if (extra != 0)
        {
            throw new SnapshotCorruptedException(Name, SnapshotRegion.Trailer, null, _frames.Offset, "bytes follow the trailer");
        }
    }

    // Runs on a worker: checks the chunk's checksum, then decompresses it.
    private void Verify(ChunkSlot slot, ChunkCodec codec)
    {
        if (!SnapshotFormat.ChunkChecksumMatches(slot.Number, slot.FrameHeader, slot.Stored.AsSpan(0, slot.StoredLength)))
        {
            throw new SnapshotCorruptedException(Name, SnapshotRegion.Chunk, slot.Number, slot.Offset, "checksum mismatch");
        }

        if (!slot.StoredAsIs && !codec.TryDecompress(slot.Stored, slot.StoredLength, slot.Raw.AsSpan(0, slot.RawLength)))
        {
            throw new SnapshotCorruptedException(Name, SnapshotRegion.Chunk, slot.Number, slot.Offset, $"the payload does not decompress to {slot.RawLength} bytes");
        }
    }
}
