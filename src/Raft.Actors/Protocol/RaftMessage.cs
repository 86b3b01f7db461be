using System.Collections.Immutable;
using MessagePack;

namespace Raft.Actors.Protocol;

/// <summary>
/// A message between two replicas of one group. One shape for every <see cref="MessageType"/>
/// (as in etcd raft): fields a type does not use stay at their defaults. Immutable, so one
/// instance can be serialized once and sent to every peer.
/// </summary>
[MessagePackObject]
public sealed record RaftMessage
{
    /// <summary>What this message is.</summary>
    [Key(0)] public MessageType Type { get; init; }

    /// <summary>The Raft group the message belongs to.</summary>
    [Key(1)] public ulong Group { get; init; }

    /// <summary>Sender node id.</summary>
    [Key(2)] public ulong From { get; init; }

    /// <summary>Recipient node id.</summary>
    [Key(3)] public ulong To { get; init; }

    /// <summary>The sender's term (a PreVote carries the term it would campaign in).</summary>
    [Key(4)] public ulong Term { get; init; }

    /// <summary>Append: term of the entry before <see cref="Entries"/>. Vote: term of the candidate's last entry.</summary>
    [Key(5)] public ulong LogTerm { get; init; }

    /// <summary>Append: index of the entry before <see cref="Entries"/>. Vote: candidate's last index. AppendResponse: the matched or rejected index.</summary>
    [Key(6)] public ulong Index { get; init; }

    /// <summary>Entries to append.</summary>
    [Key(7)] public ImmutableArray<Entry> Entries { get; init; } = [];

    /// <summary>The sender's commit index (Append, Heartbeat).</summary>
    [Key(8)] public ulong Commit { get; init; }

    /// <summary>True when the request was refused.</summary>
    [Key(9)] public bool Reject { get; init; }

    /// <summary>AppendResponse reject: the follower's hint index for fast backtracking.</summary>
    [Key(10)] public ulong RejectHint { get; init; }

    /// <summary>AppendResponse reject: the term of the follower's entry at <see cref="RejectHint"/>.</summary>
    [Key(11)] public ulong HintTerm { get; init; }

    /// <summary>ReadIndex and Heartbeat: opaque context that identifies a read request.</summary>
    [Key(12)] public ReadOnlyMemory<byte> Context { get; init; }

    /// <summary>Snapshot: what the snapshot covers.</summary>
    [Key(13)] public SnapshotMetadata? Snapshot { get; init; }

    /// <summary>
    /// The id the sender's storage drew when it was created (0 = unknown). The group records it
    /// per member and refuses a member that comes back with another one: it lost its disk.
    /// </summary>
    [Key(14)] public ulong DiskId { get; init; }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Type} {From}->{To} t{Term} lt{LogTerm} i{Index} c{Commit}" +
        (Entries.IsDefaultOrEmpty ? "" : $" [{Entries[0].Index}..{Entries[^1].Index}]") +
        (Reject ? $" reject hint={RejectHint}/{HintTerm}" : "");
}
