using System.Buffers;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace Raft.Actors.Protocol;

/// <summary>
/// The wire format of replica traffic: one frame holds a batch of <see cref="RaftMessage"/>s,
/// typically every message one node sends another in one pass, across many groups.
/// </summary>
/// <remarks>
/// <para><b>Frame layout.</b> The 4 bytes of <see cref="Magic"/> (ASCII <c>RAFT</c>), one byte of
/// format version (<see cref="CurrentVersion"/>), then a MessagePack array of messages, each the
/// MessagePack array of its <c>[Key]</c> fields. The frame carries no length of its own: the
/// transport delimits frames and hands each one whole to <see cref="Decode(ReadOnlySequence{byte}, int)"/>.</para>
/// <para><b>Compatibility.</b> A reader skips fields past the ones it knows, so a field may be
/// appended to a record under a new <c>[Key]</c> without a version change; anything else
/// (removing, renumbering or retyping a field, new meaning for a value) needs a new version.</para>
/// <para><b>Validation.</b> Both directions apply the same structural checks to every message:
/// a known <see cref="MessageType"/>; non-zero <see cref="RaftMessage.From"/> and
/// <see cref="RaftMessage.To"/>; entries that are non-nil, of a known type, with index and term
/// at least 1, contiguous and with non-decreasing terms; an Append's entries starting right after
/// its <see cref="RaftMessage.Index"/>, no older than its <see cref="RaftMessage.LogTerm"/> and no
/// newer than its <see cref="RaftMessage.Term"/>; snapshot metadata present on a Snapshot message,
/// and wherever present with index and term at least 1 and a configuration of at least one voter,
/// no id 0 and no id twice.</para>
/// <para><b>Threading.</b> Stateless; every member may be called from any thread concurrently.</para>
/// </remarks>
public static class MessageCodec
{
    /// <summary>The format version this build writes, and the only one it reads.</summary>
    public const byte CurrentVersion = 1;

    /// <summary>Bytes before the MessagePack body: the magic and the version byte.</summary>
    public const int HeaderLength = 5;

    /// <summary>
    /// The largest frame <see cref="Decode(ReadOnlySequence{byte}, int)"/> accepts unless told
    /// otherwise: 16 MiB. A transport keeps its batches below the receiver's limit.
    /// </summary>
    public const int DefaultMaxFrameBytes = 16 * 1024 * 1024;

    // The fewest bytes a *valid* element can be encoded in, used to refuse a count that the bytes
    // left could not hold before allocating for it. A message is at least an array header plus
    // Type, Group, From and To; an entry at least an array header plus Index and Term.
    private const int MinMessageBytes = 5;
    private const int MinEntryBytes = 3;

    // Decoded records reference nothing in the frame: MessagePack copies bin payloads into new
    // arrays, so a transport may return the frame's buffer to its pool as soon as Decode returns.
    private static readonly MessagePackSerializerOptions s_options = MessagePackSerializerOptions.Standard
        .WithResolver(CompositeResolver.Create(
            [
                new ImmutableArrayFormatter<Entry>(MinEntryBytes), new ImmutableArrayFormatter<ulong>(1),
                new ImmutableArrayFormatter<MemberDisk>(3), new ImmutableArrayFormatter<ConfChangeItem>(3),
            ],
            [StandardResolver.Instance]))
        .WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>Options for every MessagePack record of the protocol, safe for untrusted input.</summary>
    internal static MessagePackSerializerOptions Options => s_options;

    private static readonly IMessagePackFormatter<RaftMessage> s_messageFormatter =
        s_options.Resolver.GetFormatterWithVerify<RaftMessage>();

    /// <summary>The 4 bytes every frame starts with: ASCII <c>RAFT</c>.</summary>
    public static ReadOnlySpan<byte> Magic => "RAFT"u8;

    /// <summary>
    /// Encodes <paramref name="messages"/> (possibly none) as one frame in a new array. The same
    /// messages always encode to the same bytes.
    /// </summary>
    /// <exception cref="ArgumentNullException">A null list or a null message.</exception>
    /// <exception cref="ArgumentException">A message fails the checks in the remarks of <see cref="MessageCodec"/>; nothing is encoded.</exception>
    public static byte[] Encode(IReadOnlyList<RaftMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var buffer = new ArrayBufferWriter<byte>(EstimateFrameBytes(messages));
        Encode(messages, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Appends <paramref name="messages"/> (possibly none) as one frame to <paramref name="writer"/>,
    /// for transports that write into pooled buffers. The same messages always encode to the same bytes.
    /// </summary>
    /// <remarks>Every message is checked before the first byte is written, so an invalid batch leaves <paramref name="writer"/> untouched.</remarks>
    /// <exception cref="ArgumentNullException">A null list, a null message or a null writer.</exception>
    /// <exception cref="ArgumentException">A message fails the checks in the remarks of <see cref="MessageCodec"/>; nothing is written.</exception>
    public static void Encode(IReadOnlyList<RaftMessage> messages, IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(writer);

        // A bad message is a bug in this node, not the receiver's problem: refuse it here, where
        // the stack shows who built it, rather than have the peer drop every group's messages in
        // the frame with it.
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i] ?? throw new ArgumentNullException(nameof(messages), $"Message {i} of {messages.Count} is null.");
            if (MessageValidation.FindError(message) is { } error)
            {
                throw new ArgumentException($"Message {i} of {messages.Count} ({MessageValidation.Describe(message)}) cannot be sent: {error}.", nameof(messages));
            }
        }

        var header = writer.GetSpan(HeaderLength);
        Magic.CopyTo(header);
        header[Magic.Length] = CurrentVersion;
        writer.Advance(HeaderLength);

        var body = new MessagePackWriter(writer);
        body.WriteArrayHeader(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            s_messageFormatter.Serialize(ref body, messages[i], s_options);
        }

        body.Flush();
    }

    /// <summary>Decodes one frame; see <see cref="Decode(ReadOnlySequence{byte}, int)"/>.</summary>
    public static IReadOnlyList<RaftMessage> Decode(ReadOnlyMemory<byte> frame, int maxFrameBytes = DefaultMaxFrameBytes) =>
        Decode(new ReadOnlySequence<byte>(frame), maxFrameBytes);

    /// <summary>
    /// Decodes one frame into its messages, in the order they were encoded. The result shares no
    /// memory with <paramref name="frame"/>, whose buffers may be reused once this returns.
    /// </summary>
    /// <param name="frame">Exactly one frame, as produced by <see cref="Encode(IReadOnlyList{RaftMessage})"/>.</param>
    /// <param name="maxFrameBytes">Frames longer than this are refused unread.</param>
    /// <returns>The messages; every one passes the checks in the remarks of <see cref="MessageCodec"/>.</returns>
    /// <exception cref="ProtocolException">
    /// The frame is larger than <paramref name="maxFrameBytes"/>, does not start with
    /// <see cref="Magic"/>, has a version other than <see cref="CurrentVersion"/>, is truncated,
    /// malformed or followed by trailing bytes, or holds a message that fails the checks. The
    /// message says which. No other exception comes from the content of the frame, and no
    /// allocation is larger than a small multiple of the frame's length.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxFrameBytes"/> is not positive.</exception>
    public static IReadOnlyList<RaftMessage> Decode(ReadOnlySequence<byte> frame, int maxFrameBytes = DefaultMaxFrameBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxFrameBytes);
        if (frame.Length > maxFrameBytes)
        {
            throw new ProtocolException($"Frame of {frame.Length} bytes exceeds the limit of {maxFrameBytes} bytes.");
        }

        if (frame.Length < HeaderLength)
        {
            throw new ProtocolException($"Frame of {frame.Length} bytes is shorter than its {HeaderLength}-byte header.");
        }

        Span<byte> header = stackalloc byte[HeaderLength];
        frame.Slice(0, HeaderLength).CopyTo(header);
        if (!header[..Magic.Length].SequenceEqual(Magic))
        {
            throw new ProtocolException($"Frame starts with 0x{Convert.ToHexString(header[..Magic.Length])}, not the magic 0x{Convert.ToHexString(Magic)} (\"RAFT\").");
        }

        var version = header[Magic.Length];
        if (version != CurrentVersion)
        {
            throw new ProtocolException($"Frame has format version {version}; this build reads only version {CurrentVersion}.");
        }

        var reader = new MessagePackReader(frame.Slice(HeaderLength));
        var count = 0;
        var index = -1;
        try
        {
            if (!reader.TryReadArrayHeader(out count))
            {
                throw new EndOfStreamException();
            }

            // MessagePack checks a count against the bytes left only at one byte per element,
            // and not at all when an Array32 count is 2^31 or more (it reads as negative).
            var remaining = frame.Length - HeaderLength - reader.Consumed;
            if (count < 0 || count > remaining / MinMessageBytes)
            {
                throw new ProtocolException($"Frame claims {(uint)count} messages, but its {remaining} remaining bytes hold at most {remaining / MinMessageBytes}.");
            }

            var messages = new RaftMessage[count];
            for (index = 0; index < count; index++)
            {
                var message = s_messageFormatter.Deserialize(ref reader, s_options)
                    ?? throw new ProtocolException($"Message {index} of {count} is nil.");
                if (MessageValidation.FindError(message) is { } error)
                {
                    throw new ProtocolException($"Message {index} of {count} ({MessageValidation.Describe(message)}) is invalid: {error}.");
                }

                messages[index] = message;
            }

            if (!reader.End)
            {
                var trailing = frame.Length - HeaderLength - reader.Consumed;
                throw new ProtocolException($"Frame has {trailing} bytes of trailing garbage after its {count} messages.");
            }

            return messages;
        }
        catch (EndOfStreamException ex)
        {
            throw new ProtocolException($"Frame of {frame.Length} bytes is truncated: {Where(index, count)} runs past its end.", ex);
        }
        catch (Exception ex) when (ex is not ProtocolException and not OutOfMemoryException)
        {
            // MessagePackSerializationException for a wrong type code, OverflowException for a
            // number too large for its field, ArgumentException and InvalidOperationException from
            // deeper down: to the caller all of them mean the same thing, bad bytes.
            throw new ProtocolException($"Frame is malformed: {Where(index, count)}, near byte {HeaderLength + reader.Consumed}: {ex.Message}", ex);
        }
    }

    private static string Where(int index, int count) =>
        index < 0 ? "the message count" : $"message {index} of {count}";

    private static int EstimateFrameBytes(IReadOnlyList<RaftMessage> messages)
    {
        // A guess to size the first buffer; ArrayBufferWriter grows if it is short.
        long estimate = HeaderLength + 5;
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (message is null)
            {
                continue;
            }

            estimate += 64 + message.Context.Length;
            var entries = message.Entries.IsDefault ? [] : message.Entries;
            foreach (var entry in entries)
            {
                estimate += 48 + (entry?.Data.Length ?? 0);
            }
        }

        return (int)Math.Min(estimate, Array.MaxLength);
    }
}
