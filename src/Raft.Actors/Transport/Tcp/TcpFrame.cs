using System.Buffers;
using System.Buffers.Binary;
using Raft.Actors.Protocol;

namespace Raft.Actors.Transport.Tcp;

/// <summary>
/// Delimits <see cref="MessageCodec"/> frames on a stream: each one is preceded by its length as
/// 4 bytes big-endian. The length counts the codec frame only, not the prefix.
/// </summary>
internal static class TcpFrame
{
    /// <summary>Bytes of the length prefix.</summary>
    public const int PrefixLength = 4;

    /// <summary>
    /// Cuts the next whole frame off the front of <paramref name="buffer"/>. Returns false, and
    /// leaves <paramref name="buffer"/> as it was, when the frame has not fully arrived yet.
    /// </summary>
    /// <exception cref="ProtocolException">The prefix announces 0 bytes or more than <paramref name="maxFrameBytes"/>; checked before the body arrives, so a peer cannot make this side buffer more than the limit.</exception>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, int maxFrameBytes, out ReadOnlySequence<byte> frame)
    {
        frame = default;
        if (buffer.Length < PrefixLength)
        {
            return false;
        }

        Span<byte> prefix = stackalloc byte[PrefixLength];
        buffer.Slice(0, PrefixLength).CopyTo(prefix);
        var length = BinaryPrimitives.ReadUInt32BigEndian(prefix);
        if (length == 0)
        {
            throw new ProtocolException($"Frame length is 0; a frame holds at least its {MessageCodec.HeaderLength}-byte header.");
        }

        if (length > (uint)maxFrameBytes)
        {
            throw new ProtocolException($"Frame length {length} exceeds the limit of {maxFrameBytes} bytes.");
        }

        if (buffer.Length - PrefixLength < length)
        {
            return false;
        }

        frame = buffer.Slice(PrefixLength, length);
        buffer = buffer.Slice(frame.End);
        return true;
    }
}
