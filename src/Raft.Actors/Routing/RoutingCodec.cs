using MessagePack;
using Raft.Actors.Protocol;

namespace Raft.Actors.Routing;

/// <summary>
/// Bytes for <see cref="ReplicaRequest"/> and <see cref="ReplicaAnswer"/>, for transports that
/// carry opaque payloads (grain calls, Akka messages, TCP): a 4-byte magic (<c>RREQ</c> or
/// <c>RANS</c>), a version byte, then the MessagePack record. Decoding untrusted bytes fails
/// only with <see cref="ProtocolException"/>.
/// </summary>
public static class RoutingCodec
{
    /// <summary>The format version this build writes, and the only one it reads.</summary>
    public const byte CurrentVersion = 1;

    /// <summary>The largest request or answer decoded: 16 MiB, as for replica frames.</summary>
    public const int MaxBytes = MessageCodec.DefaultMaxFrameBytes;

    private static ReadOnlySpan<byte> RequestMagic => "RREQ"u8;

    private static ReadOnlySpan<byte> AnswerMagic => "RANS"u8;

    /// <summary>Encodes a request.</summary>
    public static byte[] Encode(ReplicaRequest request) => Encode(RequestMagic, request);

    /// <summary>Encodes an answer.</summary>
    public static byte[] Encode(ReplicaAnswer answer) => Encode(AnswerMagic, answer);

    /// <summary>Decodes a request.</summary>
    /// <exception cref="ProtocolException">Not a well-formed request of this version, or group 0, or an unknown kind.</exception>
    public static ReplicaRequest DecodeRequest(ReadOnlyMemory<byte> bytes)
    {
        var request = Decode<ReplicaRequest>(RequestMagic, bytes);
        if (request.Group == 0 || !Enum.IsDefined(request.Kind) || request.Timeout < TimeSpan.Zero)
        {
            throw new ProtocolException($"Replica request for group {request.Group}, kind {request.Kind}, timeout {request.Timeout} is invalid.");
        }

        return request;
    }

    /// <summary>Decodes an answer.</summary>
    /// <exception cref="ProtocolException">Not a well-formed answer of this version, or an unknown status.</exception>
    public static ReplicaAnswer DecodeAnswer(ReadOnlyMemory<byte> bytes)
    {
        var answer = Decode<ReplicaAnswer>(AnswerMagic, bytes);
        if (!Enum.IsDefined(answer.Status) || answer.Members.IsDefault || answer.Members.Contains(0UL))
        {
            throw new ProtocolException($"Replica answer with status {answer.Status} and members [{string.Join(", ", answer.Members.IsDefault ? [] : answer.Members)}] is invalid.");
        }

        return answer;
    }

    private static byte[] Encode<T>(ReadOnlySpan<byte> magic, T value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var body = MessagePackSerializer.Serialize(value, MessageCodec.Options);
        var bytes = new byte[magic.Length + 1 + body.Length];
        magic.CopyTo(bytes);
        bytes[magic.Length] = CurrentVersion;
        body.CopyTo(bytes.AsSpan(magic.Length + 1));
        return bytes;
    }

    private static T Decode<T>(ReadOnlySpan<byte> magic, ReadOnlyMemory<byte> bytes)
        where T : class
    {
        var what = typeof(T).Name;
        if (bytes.Length > MaxBytes || bytes.Length < magic.Length + 1 || !bytes.Span[..magic.Length].SequenceEqual(magic))
        {
            throw new ProtocolException($"{bytes.Length} bytes are not a {what}: too long, too short or wrong magic.");
        }

        if (bytes.Span[magic.Length] != CurrentVersion)
        {
            throw new ProtocolException($"{what} has format version {bytes.Span[magic.Length]}; this build reads only version {CurrentVersion}.");
        }

        var reader = new MessagePackReader(bytes[(magic.Length + 1)..]);
        try
        {
            var value = MessagePackSerializer.Deserialize<T>(ref reader, MessageCodec.Options)
                ?? throw new ProtocolException($"{what} is nil.");
            if (!reader.End)
            {
                throw new ProtocolException($"{what} is followed by {bytes.Length - magic.Length - 1 - reader.Consumed} trailing bytes.");
            }

            return value;
        }
        catch (MessagePackSerializationException ex)
        {
            throw new ProtocolException($"{what} is malformed: {ex.Message}", ex);
        }
        catch (EndOfStreamException ex)
        {
            throw new ProtocolException($"{what} is truncated.", ex);
        }
    }
}
