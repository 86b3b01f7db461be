using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Raft.Actors.Protocol;

namespace Raft.Actors.Transport.Tcp;

/// <summary>What a handshake message is.</summary>
internal enum HandshakeKind : byte
{
    /// <summary>The dialer introduces itself.</summary>
    Hello = 1,

    /// <summary>The acceptor takes the connection and introduces itself.</summary>
    Accept = 2,

    /// <summary>The acceptor turns the connection down; the reason says why.</summary>
    Refuse = 3,
}

/// <summary>Why an acceptor refused a connection.</summary>
internal enum RefusalCode : byte
{
    /// <summary>Not a refusal.</summary>
    None = 0,

    /// <summary>The hello could not be read.</summary>
    Malformed = 1,

    /// <summary>The dialer belongs to another cluster.</summary>
    WrongCluster = 2,

    /// <summary>The dialer meant to reach another node.</summary>
    WrongNode = 3,

    /// <summary>The dialer is not one of the acceptor's configured peers.</summary>
    UnknownPeer = 4,

    /// <summary>
    /// The pair already shares a connection that <see cref="ConnectionRule"/> prefers; not an
    /// error, the dialer uses that one.
    /// </summary>
    Duplicate = 5,
}

/// <summary>
/// The first message each way on a connection, before any frame: the dialer sends
/// <see cref="HandshakeKind.Hello"/>, the acceptor answers <see cref="HandshakeKind.Accept"/>
/// or <see cref="HandshakeKind.Refuse"/>. Both carry the same fields, so each side checks the
/// other's cluster and node id.
/// </summary>
/// <remarks>
/// Layout, integers big-endian: magic <c>RTCP</c> (4), version (1), kind (1), body length (2);
/// then the body: refusal code (1), sender node id (8), the node id the sender believes it talks
/// to (8), the sender's incarnation (8), cluster id length (1) and UTF-8 bytes, reason length (2)
/// and UTF-8 bytes. The magic comes first so that anything else talking to the port is
/// recognised in its first bytes.
/// </remarks>
internal sealed record Handshake(HandshakeKind Kind, RefusalCode Code, ulong Sender, ulong Receiver, ulong Incarnation, string ClusterId, string Reason)
{
    /// <summary>The handshake format this build writes, and the only one it reads.</summary>
    public const byte Version = 1;

    /// <summary>Magic, version, kind and body length.</summary>
    public const int HeaderLength = 8;

    /// <summary>The longest body accepted (the longest one written is 1,306 bytes).</summary>
    public const int MaxBodyLength = 2048;

    /// <summary>Longest reason written, in UTF-8 bytes; longer ones are cut.</summary>
    public const int MaxReasonBytes = 1024;

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>ASCII <c>RTCP</c>, distinct from the <see cref="MessageCodec.Magic"/> of frames.</summary>
    public static ReadOnlySpan<byte> Magic => "RTCP"u8;

    /// <summary>Encodes this message with its header, ready to write.</summary>
    public byte[] Encode()
    {
        var cluster = Encoding.UTF8.GetBytes(ClusterId);
        if (cluster.Length is 0 or > TcpTransportOptions.MaxClusterIdBytes)
        {
            throw new InvalidOperationException($"Cluster id of {cluster.Length} bytes cannot be sent.");
        }

        var reason = Encoding.UTF8.GetBytes(Reason);
        if (reason.Length > MaxReasonBytes)
        {
            // Cut before a character, not inside one: the reader insists on valid UTF-8.
            var cut = MaxReasonBytes;
            while ((reason[cut] & 0xC0) == 0x80)
            {
                cut--;
            }

            reason = reason[..cut];
        }

        var bodyLength = 1 + 8 + 8 + 8 + 1 + cluster.Length + 2 + reason.Length;
        var bytes = new byte[HeaderLength + bodyLength];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        span[4] = Version;
        span[5] = (byte)Kind;
        BinaryPrimitives.WriteUInt16BigEndian(span[6..], (ushort)bodyLength);
        var body = span[HeaderLength..];
        body[0] = (byte)Code;
        BinaryPrimitives.WriteUInt64BigEndian(body[1..], Sender);
        BinaryPrimitives.WriteUInt64BigEndian(body[9..], Receiver);
        BinaryPrimitives.WriteUInt64BigEndian(body[17..], Incarnation);
        body[25] = (byte)cluster.Length;
        cluster.CopyTo(body[26..]);
        var at = 26 + cluster.Length;
        BinaryPrimitives.WriteUInt16BigEndian(body[at..], (ushort)reason.Length);
        reason.CopyTo(body[(at + 2)..]);
        return bytes;
    }

    /// <summary>
    /// Reads one handshake message off the front of <paramref name="buffer"/>. Returns false, and
    /// leaves <paramref name="buffer"/> as it was, when it has not fully arrived yet.
    /// </summary>
    /// <exception cref="ProtocolException">The bytes are not a handshake of this version; the message says what is wrong.</exception>
    public static bool TryParse(ref ReadOnlySequence<byte> buffer, out Handshake? handshake)
    {
        handshake = null;
        Span<byte> header = stackalloc byte[HeaderLength];
        var available = (int)Math.Min(buffer.Length, HeaderLength);
        buffer.Slice(0, available).CopyTo(header);

        // Check what has arrived as soon as it arrives: a stranger talking another protocol is
        // recognised by its first bytes, not after it has sent a whole header.
        var magicBytes = Math.Min(available, Magic.Length);
        if (!header[..magicBytes].SequenceEqual(Magic[..magicBytes]))
        {
            throw new ProtocolException($"Handshake starts with 0x{Convert.ToHexString(header[..magicBytes])}, not the magic 0x{Convert.ToHexString(Magic)} (\"RTCP\"): not a Raft.Actors TCP peer.");
        }

        if (available < HeaderLength)
        {
            return false;
        }

        if (header[4] != Version)
        {
            throw new ProtocolException($"Handshake has version {header[4]}; this build speaks only version {Version}.");
        }

        var kind = (HandshakeKind)header[5];
        if (kind is not (HandshakeKind.Hello or HandshakeKind.Accept or HandshakeKind.Refuse))
        {
            throw new ProtocolException($"Handshake has unknown kind {header[5]}.");
        }

        int bodyLength = BinaryPrimitives.ReadUInt16BigEndian(header[6..]);
        if (bodyLength > MaxBodyLength)
        {
            throw new ProtocolException($"Handshake body of {bodyLength} bytes exceeds the limit of {MaxBodyLength} bytes.");
        }

        if (buffer.Length < HeaderLength + bodyLength)
        {
            return false;
        }

        Span<byte> body = stackalloc byte[bodyLength];
        buffer.Slice(HeaderLength, bodyLength).CopyTo(body);
        handshake = ParseBody(kind, body);
        buffer = buffer.Slice(HeaderLength + bodyLength);
        return true;
    }

    private static Handshake ParseBody(HandshakeKind kind, ReadOnlySpan<byte> body)
    {
        const int fixedBytes = 1 + 8 + 8 + 8 + 1;
        if (body.Length < fixedBytes)
        {
            throw new ProtocolException($"Handshake body of {body.Length} bytes is shorter than its {fixedBytes} fixed bytes.");
        }

        var code = (RefusalCode)body[0];
        if (code > RefusalCode.Duplicate || (code == RefusalCode.None) != (kind != HandshakeKind.Refuse))
        {
            throw new ProtocolException($"Handshake of kind {kind} has refusal code {body[0]}.");
        }

        var sender = BinaryPrimitives.ReadUInt64BigEndian(body[1..]);
        var receiver = BinaryPrimitives.ReadUInt64BigEndian(body[9..]);
        var incarnation = BinaryPrimitives.ReadUInt64BigEndian(body[17..]);
        int clusterLength = body[25];
        // A refusal of an unreadable hello does not know whom it answers: receiver 0.
        if (sender == 0 || (receiver == 0 && kind != HandshakeKind.Refuse))
        {
            throw new ProtocolException($"Handshake of kind {kind} names node 0 (sender {sender}, receiver {receiver}).");
        }

        if (clusterLength == 0 || body.Length < fixedBytes + clusterLength + 2)
        {
            throw new ProtocolException($"Handshake cluster id of {clusterLength} bytes does not fit its {body.Length}-byte body.");
        }

        var clusterId = DecodeUtf8(body.Slice(fixedBytes, clusterLength), "cluster id");
        var at = fixedBytes + clusterLength;
        int reasonLength = BinaryPrimitives.ReadUInt16BigEndian(body[at..]);
        if (body.Length != at + 2 + reasonLength)
        {
            throw new ProtocolException($"Handshake reason of {reasonLength} bytes does not match its {body.Length}-byte body.");
        }

        var reason = DecodeUtf8(body.Slice(at + 2, reasonLength), "reason");
        return new Handshake(kind, code, sender, receiver, incarnation, clusterId, reason);
    }

    private static string DecodeUtf8(ReadOnlySpan<byte> bytes, string what)
    {
        try
        {
            return s_strictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new ProtocolException($"Handshake {what} is not valid UTF-8.", ex);
        }
    }
}
