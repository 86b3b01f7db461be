using System.Buffers;
using System.Collections.Immutable;
using System.Reflection;
using MessagePack;
using Raft.Actors.Protocol;
using Xunit;
using static Raft.Actors.Tests.Protocol.WireSamples;

namespace Raft.Actors.Tests.Protocol;

public sealed class MessageCodecTests
{
    public static TheoryData<MessageType> Types => [.. AllTypes];

    [Theory]
    [MemberData(nameof(Types))]
    public void Every_message_type_round_trips_with_all_fields_set(MessageType type)
    {
        var message = Full(type);

        var decoded = MessageCodec.Decode(MessageCodec.Encode([message]));

        AssertSameMessage(message, Assert.Single(decoded));
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Every_message_type_round_trips_with_only_required_fields(MessageType type)
    {
        var message = Minimal(type);

        var decoded = MessageCodec.Decode(MessageCodec.Encode([message]));

        AssertSameMessage(message, Assert.Single(decoded));
    }

    [Fact]
    public void The_full_samples_leave_no_keyed_field_at_its_default()
    {
        // Guards the round-trip test above: a field added to a wire record must be set in the sample.
        var message = Full(MessageType.Append);
        AssertKeyedFieldsSet(message);
        AssertKeyedFieldsSet(message.Snapshot!);
        AssertKeyedFieldsSet(message.Snapshot!.ConfState);
        AssertKeyedFieldsSet(message.Entries[1]);
    }

    [Fact]
    public void A_batch_keeps_its_order_across_message_types()
    {
        RaftMessage[] batch = [.. AllTypes.Select(Full), .. AllTypes.Select(Minimal)];

        var decoded = MessageCodec.Decode(MessageCodec.Encode(batch));

        AssertSameBatch(batch, decoded);
    }

    [Fact]
    public void An_empty_batch_round_trips()
    {
        var frame = MessageCodec.Encode([]);

        Assert.Equal(MessageCodec.HeaderLength + 1, frame.Length);
        Assert.Empty(MessageCodec.Decode(frame));
    }

    [Fact]
    public void A_large_batch_round_trips()
    {
        // Many groups' heartbeats and appends in one frame, plus one long append.
        var batch = new List<RaftMessage>();
        for (var group = 1UL; group <= 5_000; group++)
        {
            batch.Add(Full(MessageType.Append) with { Group = group });
            batch.Add(Minimal(MessageType.Heartbeat) with { Group = group, Commit = group });
        }

        var entries = new Entry[10_000];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = new Entry { Index = 1001 + (ulong)i, Term = 4, ClientId = 9, Sequence = (ulong)i, Data = Bytes(i % 97, seed: i) };
        }

        batch.Add(new RaftMessage { Type = MessageType.Append, From = 1, To = 2, Term = 4, LogTerm = 4, Index = 1000, Entries = [.. entries] });

        var frame = MessageCodec.Encode(batch);
        var decoded = MessageCodec.Decode(frame);

        Assert.InRange(frame.Length, 1024 * 1024, MessageCodec.DefaultMaxFrameBytes);
        AssertSameBatch(batch, decoded);
    }

    [Fact]
    public void Encoding_the_same_messages_twice_gives_the_same_bytes()
    {
        RaftMessage[] batch = [.. AllTypes.Select(Full)];

        var first = MessageCodec.Encode(batch);
        var second = MessageCodec.Encode(batch);
        var reencoded = MessageCodec.Encode(MessageCodec.Decode(first));

        Assert.Equal(first, second);
        Assert.Equal(first, reencoded);
    }

    [Fact]
    public void The_frame_starts_with_the_magic_and_the_current_version()
    {
        var frame = MessageCodec.Encode([Minimal(MessageType.Vote)]);

        Assert.Equal("RAFT"u8.ToArray(), frame[..4]);
        Assert.Equal(1, frame[4]);
    }

    [Fact]
    public void The_buffer_writer_overload_appends_the_same_bytes_after_existing_content()
    {
        RaftMessage[] batch = [Full(MessageType.Append), Minimal(MessageType.Snapshot)];
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write<byte>([0xAA, 0xBB]);

        MessageCodec.Encode(batch, buffer);

        Assert.Equal([0xAA, 0xBB, .. MessageCodec.Encode(batch)], buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void A_multi_segment_sequence_decodes_like_one_buffer()
    {
        RaftMessage[] batch = [.. AllTypes.Select(Full)];
        var frame = MessageCodec.Encode(batch);

        var decoded = MessageCodec.Decode(Segmented(frame, 1, 3, 4, 5, 6, 17, 100, 101, frame.Length / 2, frame.Length - 1));

        AssertSameBatch(batch, decoded);
    }

    [Fact]
    public void Decoded_messages_share_no_memory_with_the_frame()
    {
        var message = Full(MessageType.Append);
        var frame = MessageCodec.Encode([message]);

        var decoded = Assert.Single(MessageCodec.Decode(frame));
        frame.AsSpan().Fill(0xEE);

        AssertSameMessage(message, decoded);
    }

    [Fact]
    public void Default_arrays_encode_as_empty_and_decode_as_empty_not_default()
    {
        var message = Minimal(MessageType.Snapshot) with
        {
            Entries = default,
            Snapshot = new SnapshotMetadata { Index = 1, Term = 1, ConfState = new ConfState { Voters = [1], Learners = default } },
        };

        var decoded = Assert.Single(MessageCodec.Decode(MessageCodec.Encode([message])));

        Assert.False(decoded.Entries.IsDefault);
        Assert.Empty(decoded.Entries);
        Assert.False(decoded.Snapshot!.ConfState.Learners.IsDefault);
        Assert.Empty(decoded.Snapshot.ConfState.Learners);
    }

    [Fact]
    public void Nil_arrays_from_another_encoder_decode_as_empty()
    {
        // Plain StandardResolver writes a default ImmutableArray as nil.
        var message = Minimal(MessageType.Heartbeat) with { Entries = default };
        var frame = RawFrame(message);
        Assert.Contains(MessagePackCode.Nil, frame[MessageCodec.HeaderLength..]);

        var decoded = Assert.Single(MessageCodec.Decode(frame));

        Assert.False(decoded.Entries.IsDefault);
        Assert.Empty(decoded.Entries);
    }

    [Fact]
    public void Encoding_refuses_an_invalid_message_and_writes_nothing()
    {
        var buffer = new ArrayBufferWriter<byte>();
        RaftMessage[] batch = [Minimal(MessageType.Vote), Minimal(MessageType.Vote) with { To = 0 }];

        var error = Assert.Throws<ArgumentException>(() => MessageCodec.Encode(batch, buffer));

        Assert.Contains("Message 1 of 2", error.Message);
        Assert.Contains("To is 0", error.Message);
        Assert.Equal(0, buffer.WrittenCount);
    }

    [Fact]
    public void Encoding_refuses_a_null_message()
    {
        Assert.Throws<ArgumentNullException>(() => MessageCodec.Encode([Minimal(MessageType.Vote), null!]));
    }

    [Fact]
    public void Unknown_fields_appended_by_a_newer_writer_are_skipped()
    {
        // A 16th field after the 15 known ones: a record grown under a new [Key] in the same version.
        var known = MessagePackSerializer.Serialize(Minimal(MessageType.Vote), MessagePackSerializerOptions.Standard);
        Assert.Equal(0x9F, known[0]);
        byte[] body = [0x91, 0xDC, 0x00, 0x10, .. known[1..], 0x92, 0xA3, (byte)'n', (byte)'e', (byte)'w', 0xC3];

        var decoded = Assert.Single(MessageCodec.Decode(RawFrameWithBody(body)));

        AssertSameMessage(Minimal(MessageType.Vote), decoded);
    }

    private static void AssertKeyedFieldsSet(object record)
    {
        foreach (var property in record.GetType().GetProperties())
        {
            if (property.GetCustomAttribute<KeyAttribute>() is null)
            {
                continue;
            }

            var value = property.GetValue(record);
            var unset = value switch
            {
                null => true,
                ReadOnlyMemory<byte> bytes => bytes.IsEmpty,
                ImmutableArray<Entry> entries => entries.IsDefaultOrEmpty,
                ImmutableArray<ulong> ids => ids.IsDefaultOrEmpty,
                _ => value.Equals(Activator.CreateInstance(property.PropertyType)),
            };
            Assert.False(unset, $"{record.GetType().Name}.{property.Name} is at its default in the sample.");
        }
    }
}
