using MessagePack;
using Raft.Actors.Protocol;
using Xunit;
using static Raft.Actors.Tests.Protocol.WireSamples;

namespace Raft.Actors.Tests.Protocol;

/// <summary>
/// Bytes from the network are hostile until decoded: whatever arrives, Decode returns a valid
/// batch or throws <see cref="ProtocolException"/>, and never allocates much more than the frame.
/// The randomised tests derive every case from a seed and print it on failure; replay one with
/// <see cref="MutatedFrame"/> or <see cref="GarbageFrame"/> and make it a fixed test.
/// </summary>
public sealed class MessageCodecRobustnessTests
{
    private const int BaseSeed = 20_261_125;

    public static TheoryData<string> ValidFrames => ["full", "minimal", "random", "empty"];

    [Theory]
    [MemberData(nameof(ValidFrames))]
    public void Every_truncation_of_a_valid_frame_is_rejected(string kind)
    {
        var frame = kind switch
        {
            "full" => MessageCodec.Encode([.. AllTypes.Select(Full)]),
            "minimal" => MessageCodec.Encode([.. AllTypes.Select(Minimal)]),
            "random" => MessageCodec.Encode(RandomBatch(new Random(BaseSeed))),
            _ => MessageCodec.Encode([]),
        };

        for (var length = 0; length < frame.Length; length++)
        {
            var prefix = frame[..length];
            AssertRejected(() => MessageCodec.Decode(prefix), $"{kind} frame cut to {length} of {frame.Length} bytes");
            AssertRejected(() => MessageCodec.Decode(Segmented(prefix, length / 3, length / 2)), $"{kind} frame cut to {length} of {frame.Length} bytes, segmented");
        }
    }

    [Fact]
    public void Random_bit_flips_decode_to_a_valid_batch_or_are_rejected()
    {
        var outcomes = new Outcomes();
        for (var seed = BaseSeed; seed < BaseSeed + 5_000; seed++)
        {
            AssertDecodesValidOrRejects(MutatedFrame(seed), seed, outcomes);
        }

        // Both paths were taken: flips inside payload bytes still decode, most others do not.
        Assert.True(outcomes.Decoded > 100, $"only {outcomes.Decoded} mutated frames decoded");
        Assert.True(outcomes.Rejected > 100, $"only {outcomes.Rejected} mutated frames were rejected");
    }

    [Fact]
    public void Random_garbage_of_many_sizes_is_rejected_or_decodes_to_a_valid_batch()
    {
        var outcomes = new Outcomes();
        for (var seed = BaseSeed; seed < BaseSeed + 3_000; seed++)
        {
            AssertDecodesValidOrRejects(GarbageFrame(seed), seed, outcomes);
        }

        Assert.True(outcomes.Rejected > 2_000, $"only {outcomes.Rejected} garbage frames were rejected");
    }

    /// <summary>A valid random batch with 1 to 3 bits flipped or bytes replaced.</summary>
    public static byte[] MutatedFrame(int seed)
    {
        var random = new Random(seed);
        var frame = MessageCodec.Encode(RandomBatch(random));
        var mutations = random.Next(1, 4);
        for (var i = 0; i < mutations; i++)
        {
            var at = random.Next(frame.Length);
            frame[at] = random.Next(4) == 0 ? (byte)random.Next(256) : (byte)(frame[at] ^ (1 << random.Next(8)));
        }

        return frame;
    }

    /// <summary>
    /// Random bytes of a random size up to 64 KiB; half of them behind a valid header, so that
    /// the MessagePack decoder, not the magic check, gets to refuse them.
    /// </summary>
    public static byte[] GarbageFrame(int seed)
    {
        var random = new Random(seed);
        var size = random.Next(4) switch
        {
            0 => random.Next(0, 16),
            1 => random.Next(16, 256),
            2 => random.Next(256, 4096),
            _ => random.Next(4096, 65536),
        };
        var body = new byte[size];
        random.NextBytes(body);
        if (random.Next(2) == 0)
        {
            return body;
        }

        // Start the body like a batch so decoding goes past the message count now and then.
        if (size > 1 && random.Next(2) == 0)
        {
            body[0] = (byte)(0x91 + random.Next(3));
            body[1] = (byte)(0x91 + random.Next(14));
        }

        return RawFrameWithBody(body);
    }

    // Bodies after the header. "M" stands for the start of one message: a 14-field array with
    // Type=Append, Group=1, From=1, To=2, Term=1, LogTerm=0, Index=0, then the Entries field.
    // "R" is the rest of a valid 14-field message after Entries: Commit, Reject, RejectHint,
    // HintTerm, an empty Context, no Snapshot.
    [Theory]
    [InlineData("message count 2^31", "DD80000000")]
    [InlineData("message count 2^32-1", "DDFFFFFFFF")]
    [InlineData("message count 2^31-1", "DD7FFFFFFF")]
    [InlineData("message count 65535", "DCFFFF")]
    [InlineData("entry count 2^31", "91 M DD80000000")]
    [InlineData("entry count 2^31-1", "91 M DD7FFFFFFF")]
    [InlineData("entry count 65535", "91 M DCFFFF")]
    [InlineData("context length 2^31-1", "91 M 90 00C20000 C67FFFFFFF")]
    [InlineData("context length 2^32-1", "91 M 90 00C20000 C6FFFFFFFF")]
    [InlineData("voter count 2^31", "91 M 90 R-snapshot 930101 92DD80000000")]
    [InlineData("voter count 2^31-1", "91 M 90 R-snapshot 930101 92DD7FFFFFFF")]
    [InlineData("unknown field: array 2^31-1", "91 M+ 90 R DD7FFFFFFF")]
    [InlineData("unknown field: map 2^32-1", "91 M+ 90 R DFFFFFFFFF")]
    [InlineData("unknown field: string 2^31-1", "91 M+ 90 R DB7FFFFFFF")]
    [InlineData("unknown field: bin 2^31-1", "91 M+ 90 R C67FFFFFFF")]
    [InlineData("unknown field: ext 2^31-1", "91 M+ 90 R C97FFFFFFF01")]
    public void A_length_field_claiming_a_huge_size_is_rejected_without_allocating_it(string claim, string body)
    {
        var frame = RawFrameWithBody([.. Hex(body), .. new byte[64]]);
        MessageCodec.Decode(MessageCodec.Encode([Full(MessageType.Snapshot)])); // warm up formatters

        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ProtocolException>(() => MessageCodec.Decode(frame));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 256 * 1024, $"{claim}: decoding a {frame.Length}-byte frame allocated {allocated} bytes ({error.Message})");
    }

    [Fact]
    public void A_deeply_nested_unknown_field_is_skipped_without_exhausting_the_stack()
    {
        // MessagePack 2.5.307 skips unknown fields iteratively; a recursive skip would crash the
        // process here, which no catch can turn into a ProtocolException.
        var known = MessagePackSerializer.Serialize(Minimal(MessageType.Vote), MessagePackSerializerOptions.Standard);
        var nesting = Enumerable.Repeat((byte)0x91, 1_000_000);
        var frame = RawFrameWithBody([0x91, 0xDC, 0x00, 0x10, .. known[1..], .. nesting, 0xC0]);

        var decoded = MessageCodec.Decode(frame);

        AssertSameMessage(Minimal(MessageType.Vote), Assert.Single(decoded));
    }

    private static void AssertDecodesValidOrRejects(byte[] frame, int seed, Outcomes outcomes)
    {
        IReadOnlyList<RaftMessage> decoded;
        try
        {
            decoded = MessageCodec.Decode(frame);
        }
        catch (ProtocolException)
        {
            outcomes.Rejected++;
            return;
        }
        catch (Exception ex)
        {
            Assert.Fail($"Seed {seed}: {ex.GetType().Name} escaped Decode of {Convert.ToHexString(frame[..Math.Min(frame.Length, 256)])}: {ex}");
            return;
        }

        // What decodes is valid: the encoder, which checks the same rules, takes it back.
        try
        {
            MessageCodec.Encode(decoded);
        }
        catch (ArgumentException ex)
        {
            Assert.Fail($"Seed {seed}: Decode returned a message Encode refuses: {ex.Message}");
        }

        outcomes.Decoded++;
    }

    private static void AssertRejected(Action decode, string what)
    {
        try
        {
            decode();
        }
        catch (ProtocolException)
        {
            return;
        }
        catch (Exception ex)
        {
            Assert.Fail($"{what}: {ex.GetType().Name} instead of ProtocolException: {ex}");
        }

        Assert.Fail($"{what}: decoded without error.");
    }

    private static byte[] Hex(string body) => Convert.FromHexString(body
        .Replace("M+", "9F0101010201 0000", StringComparison.Ordinal)
        .Replace("M", "9E0101010201 0000", StringComparison.Ordinal)
        .Replace("R-snapshot", "00C20000C400", StringComparison.Ordinal)
        .Replace("R", "00C20000C400C0", StringComparison.Ordinal)
        .Replace(" ", "", StringComparison.Ordinal));

    private sealed class Outcomes
    {
        public int Decoded { get; set; }

        public int Rejected { get; set; }
    }
}
