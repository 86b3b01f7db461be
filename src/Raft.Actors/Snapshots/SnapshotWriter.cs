using System.IO.Hashing;
using System.Runtime.ExceptionServices;
using Raft.Actors.Protocol;

namespace Raft.Actors.Snapshots;

/// <summary>
/// A write-only stream that turns the state written into it into a snapshot: the state is cut into
/// chunks of <see cref="SnapshotOptions.ChunkSize"/> bytes, compressed on worker threads and written
/// to the destination in order, framed as <see cref="SnapshotFormat"/> describes.
/// </summary>
/// <remarks>
/// <para><b>Completion.</b> The snapshot is whole only after <see cref="Complete"/> or
/// <see cref="CompleteAsync"/>, which writes the last chunk and the trailer and flushes the
/// destination (it does not fsync it: a snapshot store does that when publishing).
/// Disposing a writer that was not completed abandons the snapshot: what reached the destination has
/// no trailer and every reader rejects it, so a state machine that fails halfway can never leave a
/// snapshot that looks complete. (So do not let a <see cref="StreamWriter"/> or similar dispose this
/// stream before it is completed; give it <c>leaveOpen: true</c>.)</para>
/// <para><b>Memory.</b> At most 2 × <see cref="SnapshotOptions.Workers"/> chunks are in flight
/// (being filled, compressed, or waiting for their turn to be written); a <c>Write</c> that finds
/// them all busy waits for the oldest one to be written. Buffers come from the shared array pool and
/// are returned on completion or disposal; nothing is allocated per chunk.</para>
/// <para><b>Errors.</b> An exception from the destination or a cancelled call leaves the writer
/// faulted: every later call throws, and the snapshot must be abandoned.</para>
/// <para><b>Threading.</b> One caller at a time, like any stream; the workers are internal.</para>
/// </remarks>
public sealed class SnapshotWriter : Stream
{
    private readonly Stream _destination;
    private readonly bool _leaveOpen;
    private readonly byte[] _headerBytes;
    private readonly int _chunkSize;
    private readonly ChunkPipeline _pipeline;
    private readonly XxHash64 _digest = new();
    private ChunkSlot? _filling;
    private long _submitted;
    private long _written;
    private long _rawLength;
    private long _bytesWritten;
    private bool _headerWritten;
    private WriterState _state;

    /// <summary>Prepares a snapshot of <paramref name="metadata"/>; nothing is written until the first chunk is ready.</summary>
    /// <param name="destination">Where the snapshot's bytes go, from its current position.</param>
    /// <param name="metadata">The index, term and membership the state corresponds to.</param>
    /// <param name="options">Codec, chunk size and workers; defaults when null.</param>
    /// <param name="leaveOpen">Whether disposing this writer leaves <paramref name="destination"/> open.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public SnapshotWriter(Stream destination, SnapshotMetadata metadata, SnapshotOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(metadata);
        options ??= new SnapshotOptions();
        options.Validate();
        if (!destination.CanWrite)
        {
            throw new ArgumentException("The destination stream is not writable.", nameof(destination));
        }

        _destination = destination;
        _leaveOpen = leaveOpen;
        _chunkSize = options.ChunkSize;
        _headerBytes = SnapshotFormat.EncodeHeader(metadata, options.Codec, options.ChunkSize);
        _digest.Append(_headerBytes);
        Header = new SnapshotHeader(SnapshotFormat.Version, options.Codec, options.ChunkSize, metadata);
        _pipeline = new ChunkPipeline(options.EffectiveWorkers, options.ChunkSize, options.Codec, Compress, options.BeforeChunk);
    }

    private enum WriterState
    {
        Open,
        Completed,
        Faulted,
        Disposed,
    }

    /// <summary>The header this writer writes.</summary>
    public SnapshotHeader Header { get; }

    /// <summary>Bytes written to the destination so far; after completion, the snapshot's size.</summary>
    public long BytesWritten => _bytesWritten;

    /// <summary>Chunks written to the destination so far; after completion, the snapshot's chunk count.</summary>
    public long ChunksWritten => _written;

    /// <summary>True once <see cref="Complete"/> or <see cref="CompleteAsync"/> returned.</summary>
    public bool IsCompleted => _state == WriterState.Completed;

    /// <inheritdoc />
    public override bool CanRead => false;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => _state == WriterState.Open;

    /// <summary>Not supported: a snapshot's size is known only when it is complete.</summary>
    public override long Length => throw new NotSupportedException();

    /// <summary>Bytes of state written so far; cannot be set.</summary>
    public override long Position
    {
        get => _rawLength;
        set => throw new NotSupportedException();
    }

    /// <summary>Chunks that were ever in flight at once; never above <see cref="ChunkCapacity"/>.</summary>
    internal int MaxChunksInFlight => _pipeline.MaxInFlight;

    /// <summary>The in-flight bound: 2 × workers.</summary>
    internal int ChunkCapacity => _pipeline.Capacity;

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ThrowIfNotOpen();
        try
        {
            while (!buffer.IsEmpty)
            {
                var copied = CopyIntoChunk(buffer);
                buffer = buffer[copied..];
                if (_filling!.RawLength == _chunkSize)
                {
                    SubmitFillingAsync(sync: true, CancellationToken.None).GetAwaiter().GetResult();
                }
            }
        }
        catch
        {
            _state = WriterState.Faulted;
            throw;
        }
    }

    /// <inheritdoc />
    public override void WriteByte(byte value) => Write(new ReadOnlySpan<byte>(in value));

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc />
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfNotOpen();
        try
        {
            while (!buffer.IsEmpty)
            {
                var copied = CopyIntoChunk(buffer.Span);
                buffer = buffer[copied..];
                if (_filling!.RawLength == _chunkSize)
                {
                    await SubmitFillingAsync(sync: false, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch
        {
            _state = WriterState.Faulted;
            throw;
        }
    }

    /// <summary>
    /// Does nothing: a partial chunk stays in its buffer until it is full or the snapshot is
    /// completed (flushing it early would break the rule that only the last chunk is short).
    /// </summary>
    public override void Flush()
    {
    }

    /// <summary>Does nothing; see <see cref="Flush"/>.</summary>
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Writes the remaining chunks and the trailer, flushes the destination and stops the workers.
    /// When it returns, the destination holds a whole snapshot (durable only if the caller syncs it).
    /// Calling it again does nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">The writer faulted or was disposed.</exception>
    public void Complete() => CompleteCoreAsync(sync: true, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>The asynchronous form of <see cref="Complete"/>.</summary>
    /// <exception cref="InvalidOperationException">The writer faulted or was disposed.</exception>
    public ValueTask CompleteAsync(CancellationToken cancellationToken = default) => CompleteCoreAsync(sync: false, cancellationToken);

    /// <summary>Not supported.</summary>
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>Not supported.</summary>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <summary>Not supported.</summary>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Stops the workers and returns the buffers; a writer not completed abandons its snapshot.</summary>
    public override async ValueTask DisposeAsync()
    {
        if (_state == WriterState.Disposed)
        {
            return;
        }

        _state = WriterState.Disposed;
        _pipeline.Dispose();
        if (!_leaveOpen)
        {
            await _destination.DisposeAsync().ConfigureAwait(false);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Stops the workers and returns the buffers; a writer not completed abandons its snapshot.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing && _state != WriterState.Disposed)
        {
            _state = WriterState.Disposed;
            _pipeline.Dispose();
            if (!_leaveOpen)
            {
                _destination.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    // Runs on a worker: compresses the chunk and frames it.
    private static void Compress(ChunkSlot slot, ChunkCodec codec)
    {
        var length = codec.Compress(slot.Raw, slot.RawLength, slot.Stored);
        slot.StoredAsIs = length < 0;
        slot.StoredLength = length < 0 ? slot.RawLength : length;
        var payload = (slot.StoredAsIs ? slot.Raw : slot.Stored).AsSpan(0, slot.StoredLength);
        SnapshotFormat.WriteChunkFrameHeader(slot.FrameHeader, slot.Number, slot.StoredAsIs, slot.RawLength, payload);
    }

    private int CopyIntoChunk(ReadOnlySpan<byte> buffer)
    {
        if (_filling is null)
        {
            // Free: every submit below drains until fewer than Capacity chunks are in flight.
            _filling = _pipeline.SlotFor(_submitted);
            _filling.Number = _submitted;
            _filling.RawLength = 0;
        }

        var count = Math.Min(buffer.Length, _chunkSize - _filling.RawLength);
        buffer[..count].CopyTo(_filling.Raw.AsSpan(_filling.RawLength));
        _filling.RawLength += count;
        _rawLength += count;
        return count;
    }

    private async ValueTask SubmitFillingAsync(bool sync, CancellationToken cancellationToken)
    {
        var slot = _filling!;
        _filling = null;
        _pipeline.Submit(slot);
        _submitted++;
        await DrainAsync(all: false, sync, cancellationToken).ConfigureAwait(false);
    }

    // Writes finished chunks in order. Waits for the oldest one when every slot is taken (or when
    // all is set); otherwise writes only those already done, so output starts early and memory is
    // freed as soon as possible.
    private async ValueTask DrainAsync(bool all, bool sync, CancellationToken cancellationToken)
    {
        while (_written < _submitted)
        {
            var slot = _pipeline.SlotFor(_written);
            if (!slot.Done.Wait(0))
            {
                if (!all && _pipeline.InFlight < _pipeline.Capacity)
                {
                    return;
                }

                if (sync)
                {
                    slot.Done.Wait(cancellationToken);
                }
                else
                {
                    await slot.Done.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            if (slot.Error is not null)
            {
                ExceptionDispatchInfo.Capture(slot.Error).Throw();
            }

            await WriteHeaderOnceAsync(sync, cancellationToken).ConfigureAwait(false);
            _digest.Append(slot.FrameHeader);
            var payload = (slot.StoredAsIs ? slot.Raw : slot.Stored).AsMemory(0, slot.StoredLength);
            if (sync)
            {
                _destination.Write(slot.FrameHeader);
                _destination.Write(payload.Span);
            }
            else
            {
                await _destination.WriteAsync(slot.FrameHeader, cancellationToken).ConfigureAwait(false);
                await _destination.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
            }

            _bytesWritten += SnapshotFormat.ChunkFrameHeaderLength + slot.StoredLength;
            _written++;
            _pipeline.Retire();
        }
    }

    private async ValueTask WriteHeaderOnceAsync(bool sync, CancellationToken cancellationToken)
    {
        if (_headerWritten)
        {
            return;
        }

        if (sync)
        {
            _destination.Write(_headerBytes);
        }
        else
        {
            await _destination.WriteAsync(_headerBytes, cancellationToken).ConfigureAwait(false);
        }

        _headerWritten = true;
        _bytesWritten += _headerBytes.Length;
    }

    private async ValueTask CompleteCoreAsync(bool sync, CancellationToken cancellationToken)
    {
        if (_state == WriterState.Completed)
        {
            return;
        }

        ThrowIfNotOpen();
        try
        {
            if (_filling is not null)
            {
                await SubmitFillingAsync(sync, cancellationToken).ConfigureAwait(false);
            }

            await DrainAsync(all: true, sync, cancellationToken).ConfigureAwait(false);
            await WriteHeaderOnceAsync(sync, cancellationToken).ConfigureAwait(false);
            var trailer = new byte[SnapshotFormat.TrailerLength];
            SnapshotFormat.WriteTrailer(trailer, _written, _rawLength, _digest);
            if (sync)
            {
                _destination.Write(trailer);
                _destination.Flush();
            }
            else
            {
                await _destination.WriteAsync(trailer, cancellationToken).ConfigureAwait(false);
                await _destination.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            _bytesWritten += trailer.Length;
            _state = WriterState.Completed;
            _pipeline.Dispose();
        }
        catch
        {
            _state = WriterState.Faulted;
            throw;
        }
    }

    private void ThrowIfNotOpen()
    {
        switch (_state)
        {
            case WriterState.Disposed:
                throw new ObjectDisposedException(nameof(SnapshotWriter));
            case WriterState.Completed:
                throw new InvalidOperationException("The snapshot is already completed.");
            case WriterState.Faulted:
                throw new InvalidOperationException("The snapshot writer faulted earlier; abandon this snapshot.");
        }
    }
}
