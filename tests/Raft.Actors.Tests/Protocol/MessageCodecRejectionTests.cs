using Raft.Actors.Protocol;
using Xunit;
using static Raft.Actors.Tests.Protocol.WireSamples;

namespace Raft.Actors.Tests.Protocol;

public sealed class MessageCodecRejectionTests
{
    public static TheoryData<string, RaftMessage, string> InvalidMessages()
    {
        var append = Full(MessageType.Append);
        var entries = append.Entries;
        var snapshot = Full(MessageType.Snapshot);
        var meta = snapshot.Snapshot!;
        return new()
        {
            { "type 0", Minimal(MessageType.Vote) with { Type = 0 }, "unknown message type 0" },
            { "type 17", Minimal(MessageType.Vote) with { Type = (MessageType)17 }, "unknown message type 17" },
            { "chunk without metadata", Minimal(MessageType.SnapshotChunk) with { Snapshot = null }, "SnapshotChunk message carries no snapshot metadata" },
            { "type 255", Minimal(MessageType.Vote) with { Type = (MessageType)255 }, "unknown message type 255" },
            { "from 0", Minimal(MessageType.Vote) with { From = 0 }, "From is 0" },
            { "to 0", Minimal(MessageType.Vote) with { To = 0 }, "To is 0" },
            { "entry index 0", append with { Index = 0, LogTerm = 0, Entries = [entries[0] with { Index = 0 }] }, "entry 0 has index 0" },
            { "entry term 0", append with { LogTerm = 0, Entries = [entries[0] with { Term = 0 }] }, "entry 42 has term 0" },
            { "entry type", append with { Entries = [entries[0] with { Type = (EntryType)7 }] }, "entry 42 has unknown type 7" },
            { "nil entry", append with { Entries = [entries[0], null!] }, "entry 1 is nil" },
            { "gap", append with { Entries = [entries[0], entries[1] with { Index = 44 }] }, "not contiguous: entry 1 has index 44 after index 42" },
            { "repeat", append with { Entries = [entries[0], entries[0]] }, "not contiguous" },
            { "descending", append with { Entries = [entries[1], entries[0]] }, "not contiguous" },
            { "wrap", append with { Index = ulong.MaxValue - 1, Entries = [entries[0] with { Index = ulong.MaxValue }, entries[0] with { Index = 0 }] }, "entry 1 has index 0" },
            { "terms decrease", append with { Entries = [entries[1], entries[0] with { Index = 44 }] }, "entry terms decrease: index 44 has term 7 after term 9" },
            { "not after prev", append with { Index = 40 }, "first entry has index 42, but the append follows index 40" },
            { "below log term", append with { LogTerm = 8 }, "first entry has term 7, below the term 8" },
            { "above term", append with { Term = 8 }, "entry 44 has term 9, above the leader's term 8" },
            { "no metadata", snapshot with { Snapshot = null }, "carries no snapshot metadata" },
            { "snapshot index 0", snapshot with { Snapshot = meta with { Index = 0 } }, "snapshot index is 0" },
            { "snapshot term 0", snapshot with { Snapshot = meta with { Term = 0 } }, "has term 0" },
            { "snapshot term", snapshot with { Term = 4 }, "snapshot term 5 is above the leader's term 4" },
            { "no conf", snapshot with { Snapshot = meta with { ConfState = null! } }, "has no configuration" },
            { "no voters", snapshot with { Snapshot = meta with { ConfState = new ConfState { Learners = [4] } } }, "has no voters" },
            { "voter 0", snapshot with { Snapshot = meta with { ConfState = ConfState.OfVoters(1, 0) } }, "voter id 0" },
            { "learner 0", snapshot with { Snapshot = meta with { ConfState = new ConfState { Voters = [1], Learners = [0] } } }, "learner id 0" },
            { "voter twice", snapshot with { Snapshot = meta with { ConfState = ConfState.OfVoters(1, 2, 1) } }, "node 1 more than once" },
            { "voter and learner", snapshot with { Snapshot = meta with { ConfState = new ConfState { Voters = [1, 2], Learners = [2] } } }, "node 2 more than once (again as learner)" },
            { "bad metadata on other type", Full(MessageType.Heartbeat) with { Snapshot = meta with { Index = 0 } }, "snapshot index is 0" },
            { "gap on other type", Full(MessageType.Vote) with { Entries = [entries[0], entries[2]] }, "not contiguous" },
        };
    }

    [Theory]
    [MemberData(nameof(InvalidMessages))]
    public void Decoding_rejects_a_structurally_invalid_message(string rule, RaftMessage invalid, string expected)
    {
        var frame = RawFrame(Minimal(MessageType.Heartbeat), invalid);

        var error = Assert.Throws<ProtocolException>(() => MessageCodec.Decode(frame));

        Assert.Contains("Message 1 of 2", error.Message);
        Assert.True(error.Message.Contains(expected, StringComparison.Ordinal), $"{rule}: \"{error.Message}\" does not say \"{expected}\".");
    }

    [Theory]
    [MemberData(nameof(InvalidMessages))]
    public void Encoding_refuses_the_same_messages_with_the_same_reason(string rule, RaftMessage invalid, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => MessageCodec.Encode([invalid]));

        Assert.True(error.Message.Contains(expected, StringComparison.Ordinal), $"{rule}: \"{error.Message}\" does not say \"{expected}\".");
    }

    [Fact]
    public void Fields_a_type_does_not_use_need_not_follow_append_rules()
    {
        // A Vote's Index is the candidate's last index, not the entry before any entries.
        var vote = Full(MessageType.Vote) with { Index = 7, LogTerm = 100, Term = 1 };

        Assert.Single(MessageCodec.Decode(MessageCodec.Encode([vote])));
    }

    [Fact]
    public void A_nil_message_is_rejected()
    {
        var frame = RawFrame(Minimal(MessageType.Vote), null);

        var error = Assert.Throws<ProtocolException>(() => MessageCodec.Decode(frame));

        Assert.Contains("Message 1 of 2 is nil", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(255)]
    public void An_unknown_version_is_rejected(byte version)
    {
        var frame = MessageCodec.Encode([Minimal(MessageType.Vote)]);
        frame[4] = version;

        var error = Assert.Throws<ProtocolException>(() => MessageCodec.Decode(frame));

        Assert.Contains($"format version {version}", error.Message);
    }

    [Fact]
    public void A_frame_without_the_magic_is_rejected()
    {
        var frame = MessageCodec.Encode([Minimal(MessageType.Vote)]);
        frame[0] = (byte)'X';

        var error = Assert.Throws<ProtocolException>(() => MessageCodec.Decode(frame));

        Assert.Contains("not the magic", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    public void A_frame_shorter_than_the_header_is_rejected(int length)
    {
        var frame = MessageCodec.Encode([])[..length];

        var error = Assert.Throws<ProtocolException>(() => MessageCodec.Decode(frame));

        Assert.Contains("shorter than its 5-byte header", error.Message);
    }

    [Fact]
    public void An_oversized_frame_is_rejected_before_it_is_read()
    {
        // Garbage after the header would fail decoding; the size is refused first.
        var frame = RawFrameWithBody(new byte[MessageCodec.DefaultMaxFrameBytes]);

        var error = Assert.Throws<ProtocolException>(() => MessageCodec.Decode(frame));

        Assert.Contains($"exceeds the limit of {MessageCodec.DefaultMaxFrameBytes} bytes", error.Message);
    }

    [Fact]
    public void The_frame_limit_is_inclusive_and_can_be_lowered()
    {
        var frame = MessageCodec.Encode([Full(MessageType.Append)]);

        Assert.Single(MessageCodec.Decode(frame, maxFrameBytes: frame.Length));
        var error = Assert.Throws<ProtocolException>(() => MessageCodec.Decode(frame, maxFrameBytes: frame.Length - 1));
        Assert.Contains("exceeds the limit", error.Message);
    }

    [Fact]
    public void A_non_positive_limit_is_a_caller_bug()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MessageCodec.Decode(MessageCodec.Encode([]), maxFrameBytes: 0));
    }

    [Theory]
    [InlineData(new byte[] { 0x00 })]
    [InlineData(new byte[] { 0xC0 })]
    [InlineData(new byte[] { 0x90 })]
    public void Trailing_bytes_after_the_batch_are_rejected(byte[] trailing)
    {
        var frame = (byte[])[.. MessageCodec.Encode([Minimal(MessageType.Vote)]), .. trailing];

        var error = Assert.Throws<ProtocolException>(() => MessageCodec.Decode(frame));

        Assert.Contains($"{trailing.Length} bytes of trailing garbage", error.Message);
    }

    [Fact]
    public void A_body_that_is_not_an_array_is_rejected()
    {
        var frame = RawFrameWithBody([0x81, 0x01, 0x02]);

        var error = Assert.Throws<ProtocolException>(() => MessageCodec.Decode(frame));

        Assert.Contains("malformed", error.Message);
        Assert.Contains("message count", error.Message);
    }

    [Fact]
    public void A_field_of_the_wrong_type_is_rejected()
    {
        // Group as a string.
        var frame = RawFrameWithBody([0x91, 0x94, 0x01, 0xA1, (byte)'g', 0x01, 0x02]);

        var error = Assert.Throws<ProtocolException>(() => MessageCodec.Decode(frame));

        Assert.Contains("malformed: message 0 of 1", error.Message);
    }

    [Fact]
    public void A_number_too_large_for_its_field_is_rejected()
    {
        // Type is a byte enum; 300 does not fit.
        var frame = RawFrameWithBody([0x91, 0x94, 0xCD, 0x01, 0x2C, 0x00, 0x01, 0x02]);

        var error = Assert.Throws<ProtocolException>(() => MessageCodec.Decode(frame));

        Assert.IsType<OverflowException>(error.InnerException);
    }
}
