using System.Buffers;
using System.Buffers.Binary;

namespace Raft.Actors.Transport.Tcp;

/// <summary>
/// One encoded frame waiting to be written: its length prefix and codec bytes in a buffer
/// rented from <see cref="ArrayPool{T}.Shared"/>, which <see cref="Release"/> gives back.
/// Exactly one owner releases it: the queue when it drops it, the writer once written.
/// </summary>
internal readonly record struct OutboundFrame(byte[] Buffer, int Length, int Messages)
{
    /// <summary>The bytes to write: prefix and frame.</summary>
    public ReadOnlyMemory<byte> Bytes => Buffer.AsMemory(0, Length);

    /// <summary>Returns the buffer to the pool; the frame must not be used afterwards.</summary>
    public void Release() => ArrayPool<byte>.Shared.Return(Buffer);
}

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over pooled arrays that leaves room for the length prefix
/// at the front, so that <see cref="Protocol.MessageCodec.Encode(IReadOnlyList{Protocol.RaftMessage}, IBufferWriter{byte})"/>
/// writes a frame that goes to the socket without another copy.
/// </summary>
internal sealed class PooledFrameWriter : IBufferWriter<byte>
{
    private byte[]? _buffer;
    private int _written;

    public PooledFrameWriter(int sizeHint)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(sizeHint, 256));
        _written = TcpFrame.PrefixLength;
    }

    /// <summary>Bytes of the frame so far, without the prefix.</summary>
    public int FrameLength => _written - TcpFrame.PrefixLength;

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > Buffer.Length - _written)
        {
            throw new InvalidOperationException($"Advanced {count} bytes past the {Buffer.Length - _written} available.");
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return Buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return Buffer.AsSpan(_written);
    }

    /// <summary>Writes the prefix and hands the buffer over to the returned frame.</summary>
    public OutboundFrame Complete(int messages)
    {
        var buffer = Buffer;
        BinaryPrimitives.WriteUInt32BigEndian(buffer, (uint)FrameLength);
        _buffer = null;
        return new OutboundFrame(buffer, _written, messages);
    }

    /// <summary>Returns the buffer unused (an encoding failed or the frame is too large).</summary>
    public void Discard()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(PooledFrameWriter));

    private void Ensure(int sizeHint)
    {
        var buffer = Buffer;
        sizeHint = Math.Max(sizeHint, 1);
        if (buffer.Length - _written >= sizeHint)
        {
            return;
        }

        var size = (int)Math.Min(Array.MaxLength, Math.Max((long)buffer.Length * 2, (long)_written + sizeHint));
        var larger = ArrayPool<byte>.Shared.Rent(size);
        buffer.AsSpan(0, _written).CopyTo(larger);
        _buffer = larger;
        ArrayPool<byte>.Shared.Return(buffer);
    }
}
