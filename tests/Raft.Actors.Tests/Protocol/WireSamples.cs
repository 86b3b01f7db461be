using System.Buffers;
using System.Collections.Immutable;
using MessagePack;
using Raft.Actors.Protocol;
using Xunit;

namespace Raft.Actors.Tests.Protocol;

/// <summary>Messages, frames and comparisons shared by the codec tests.</summary>
internal static class WireSamples
{
    public static readonly MessageType[] AllTypes = Enum.GetValues<MessageType>();

    /// <summary>A message of <paramref name="type"/> with every field set to a non-default value that passes validation.</summary>
    public static RaftMessage Full(MessageType type) => new()
    {
        Type = type,
        Group = 0xFEDC_BA98_7654_3210,
        From = 3,
        To = ulong.MaxValue - 1,
        Term = 9,
        LogTerm = 7,
        Index = 41,
        Entries =
        [
            new Entry { Index = 42, Term = 7, Type = EntryType.Normal, ClientId = 1_234_567_890_123, Sequence = 77, Data = new byte[] { 1, 2, 3 } },
            new Entry { Index = 43, Term = 9, Type = EntryType.ConfChange, ClientId = 5, Sequence = ulong.MaxValue, Data = Bytes(300, seed: 43) },
            new Entry { Index = 44, Term = 9, Type = EntryType.Normal, ClientId = 0, Sequence = 0, Data = ReadOnlyMemory<byte>.Empty },
        ],
        Commit = 40,
        Reject = true,
        RejectHint = 39,
        HintTerm = 6,
        Context = "read-17"u8.ToArray(),
        Snapshot = new SnapshotMetadata
        {
            Index = 30,
            Term = 5,
            ConfState = new ConfState
            {
                Voters = [1, 2, 3],
                Learners = [4, ulong.MaxValue],
                VotersOutgoing = [1, 2, 5],
                Disks = [new MemberDisk(1, 0xD15C), new MemberDisk(ulong.MaxValue, ulong.MaxValue)],
            },
        },
        DiskId = 0xABCD_EF01_2345_6789,
    };

    /// <summary>The smallest valid message of <paramref name="type"/>.</summary>
    public static RaftMessage Minimal(MessageType type) => new()
    {
        Type = type,
        From = 1,
        To = 2,
        Snapshot = type is MessageType.Snapshot or MessageType.SnapshotChunk or MessageType.SnapshotChunkResponse
            ? new SnapshotMetadata { Index = 1, Term = 1, ConfState = ConfState.OfVoters(1) }
            : null,
        Term = 1,
    };

    /// <summary>A valid message with random content; the same seed gives the same message.</summary>
    public static RaftMessage Random(Random random)
    {
        var type = AllTypes[random.Next(AllTypes.Length)];
        var term = (ulong)random.Next(1, 1000);
        var index = RandomULong(random);
        if (index == ulong.MaxValue)
        {
            index--;
        }

        var entries = new Entry[random.Next(0, 4)];
        var entryTerm = (ulong)random.Next(1, (int)term + 1);
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = new Entry
            {
                Index = index + 1 + (ulong)i,
                Term = entryTerm,
                Type = random.Next(4) == 0 ? EntryType.ConfChange : EntryType.Normal,
                ClientId = RandomULong(random),
                Sequence = RandomULong(random),
                Data = Bytes(random.Next(0, 40), random.Next()),
            };
            entryTerm = Math.Min(term, entryTerm + (ulong)random.Next(0, 2));
        }

        // Index near ulong.MaxValue leaves no room for entries after it.
        if (index > ulong.MaxValue - (ulong)entries.Length - 1)
        {
            entries = [];
        }

        return new RaftMessage
        {
            Type = type,
            Group = RandomULong(random),
            From = RandomULong(random) | 1,
            To = RandomULong(random) | 1,
            Term = term,
            LogTerm = entries.Length > 0 ? (ulong)random.Next(0, (int)entries[0].Term + 1) : RandomULong(random),
            Index = index,
            Entries = [.. entries],
            Commit = RandomULong(random),
            Reject = random.Next(2) == 0,
            RejectHint = RandomULong(random),
            HintTerm = RandomULong(random),
            Context = Bytes(random.Next(0, 3) == 0 ? 0 : random.Next(1, 24), random.Next()),
            Snapshot = type is MessageType.Snapshot or MessageType.SnapshotChunk or MessageType.SnapshotChunkResponse || random.Next(4) == 0
                ? new SnapshotMetadata
                {
                    Index = (ulong)random.Next(1, 1_000_000),
                    Term = (ulong)random.Next(1, (int)term + 1),
                    ConfState = new ConfState { Voters = [1, 2, (ulong)random.Next(3, 100)], Learners = random.Next(2) == 0 ? [] : [1000] },
                }
                : null,
        };
    }

    /// <summary>A batch of 1 to 4 random valid messages.</summary>
    public static RaftMessage[] RandomBatch(Random random)
    {
        var batch = new RaftMessage[random.Next(1, 5)];
        for (var i = 0; i < batch.Length; i++)
        {
            batch[i] = Random(random);
        }

        return batch;
    }

    public static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>
    /// A frame built with plain <c>StandardResolver</c> serialization and no validation, for
    /// messages the codec itself refuses to encode. Its body has the layout the codec writes.
    /// </summary>
    public static byte[] RawFrame(params RaftMessage?[] messages) =>
        RawFrameWithBody(MessagePackSerializer.Serialize(messages, MessagePackSerializerOptions.Standard));

    /// <summary>A valid header followed by <paramref name="body"/>.</summary>
    public static byte[] RawFrameWithBody(ReadOnlySpan<byte> body) =>
        [.. MessageCodec.Magic, MessageCodec.CurrentVersion, .. body];

    /// <summary>Splits <paramref name="bytes"/> into a multi-segment sequence at <paramref name="cuts"/>.</summary>
    public static ReadOnlySequence<byte> Segmented(byte[] bytes, params int[] cuts)
    {
        var bounds = cuts.Where(c => c > 0 && c < bytes.Length).Distinct().Order().Append(bytes.Length).ToArray();
        var first = new Segment(bytes.AsMemory(0, bounds[0]), 0);
        var last = first;
        for (var i = 1; i < bounds.Length; i++)
        {
            last = last.Append(bytes.AsMemory(bounds[i - 1], bounds[i] - bounds[i - 1]));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>Compares every field; entries and payloads by content.</summary>
    public static void AssertSameMessage(RaftMessage expected, RaftMessage actual)
    {
        Assert.Equal(expected.Type, actual.Type);
        Assert.Equal(expected.Group, actual.Group);
        Assert.Equal(expected.From, actual.From);
        Assert.Equal(expected.To, actual.To);
        Assert.Equal(expected.Term, actual.Term);
        Assert.Equal(expected.LogTerm, actual.LogTerm);
        Assert.Equal(expected.Index, actual.Index);
        Assert.Equal(expected.Commit, actual.Commit);
        Assert.Equal(expected.Reject, actual.Reject);
        Assert.Equal(expected.RejectHint, actual.RejectHint);
        Assert.Equal(expected.HintTerm, actual.HintTerm);
        Assert.Equal(expected.Context.ToArray(), actual.Context.ToArray());
        Assert.Equal(expected.DiskId, actual.DiskId);

        Assert.False(actual.Entries.IsDefault);
        var expectedEntries = expected.Entries.IsDefault ? [] : expected.Entries;
        Assert.Equal(expectedEntries.Length, actual.Entries.Length);
        for (var i = 0; i < expectedEntries.Length; i++)
        {
            var e = expectedEntries[i];
            var a = actual.Entries[i];
            Assert.Equal(e.Index, a.Index);
            Assert.Equal(e.Term, a.Term);
            Assert.Equal(e.Type, a.Type);
            Assert.Equal(e.ClientId, a.ClientId);
            Assert.Equal(e.Sequence, a.Sequence);
            Assert.Equal(e.Data.ToArray(), a.Data.ToArray());
        }

        Assert.True(expectedEntries.SequenceEqual(actual.Entries));

        if (expected.Snapshot is null)
        {
            Assert.Null(actual.Snapshot);
            return;
        }

        Assert.NotNull(actual.Snapshot);
        Assert.Equal(expected.Snapshot.Index, actual.Snapshot.Index);
        Assert.Equal(expected.Snapshot.Term, actual.Snapshot.Term);
        Assert.Equal(Items(expected.Snapshot.ConfState.Voters), Items(actual.Snapshot.ConfState.Voters));
        Assert.Equal(Items(expected.Snapshot.ConfState.Learners), Items(actual.Snapshot.ConfState.Learners));
        Assert.False(actual.Snapshot.ConfState.Voters.IsDefault);
        Assert.False(actual.Snapshot.ConfState.Learners.IsDefault);
        Assert.Equal(Items(expected.Snapshot.ConfState.VotersOutgoing), Items(actual.Snapshot.ConfState.VotersOutgoing));
        Assert.Equal<MemberDisk>(expected.Snapshot.ConfState.Disks.IsDefault ? [] : [.. expected.Snapshot.ConfState.Disks], actual.Snapshot.ConfState.Disks.IsDefault ? [] : [.. actual.Snapshot.ConfState.Disks]);
        Assert.Equal(expected.Snapshot.ConfState, actual.Snapshot.ConfState);
    }

    public static void AssertSameBatch(IReadOnlyList<RaftMessage> expected, IReadOnlyList<RaftMessage> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            AssertSameMessage(expected[i], actual[i]);
        }
    }

    private static ulong[] Items(ImmutableArray<ulong> ids) => ids.IsDefault ? [] : [.. ids];

    private static ulong RandomULong(Random random) => random.Next(3) switch
    {
        0 => (ulong)random.Next(0, 128),
        1 => (ulong)random.NextInt64(),
        _ => ulong.MaxValue - (ulong)random.Next(0, 3),
    };

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
