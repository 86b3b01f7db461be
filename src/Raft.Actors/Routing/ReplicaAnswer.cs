using System.Collections.Immutable;
using MessagePack;

namespace Raft.Actors.Routing;

/// <summary>How a replica dealt with a <see cref="ReplicaRequest"/>.</summary>
public enum ReplicaAnswerStatus : byte
{
    /// <summary>Done: a proposal committed and applied, or a read answered; see <see cref="ReplicaAnswer.Result"/>.</summary>
    Ok = 0,

    /// <summary>This replica does not lead (a proposal) or knows no leader (a read); see <see cref="ReplicaAnswer.Leader"/>. Nothing was applied.</summary>
    NotLeader = 1,

    /// <summary>The node hosts no running replica of the group (never had one, removed, or stopped). Nothing was applied.</summary>
    NoReplica = 2,

    /// <summary>Another entry took the proposal's place in the log: it never commits. Safe to retry.</summary>
    Dropped = 3,

    /// <summary>The proposal reached the log but its outcome was not known in time; it may still apply. Retry with the same id.</summary>
    Unknown = 4,

    /// <summary>The replica stopped on a storage or state machine failure; see <see cref="ReplicaAnswer.Error"/>.</summary>
    Faulted = 5,
}

/// <summary>
/// A replica's answer to a <see cref="ReplicaRequest"/>, with what it knows of its group so the
/// client's route stays current: the leader, and — from a leader — the membership in force.
/// </summary>
[MessagePackObject]
public sealed record ReplicaAnswer
{
    /// <summary>The outcome.</summary>
    [Key(0)] public ReplicaAnswerStatus Status { get; init; }

    /// <summary>The state machine's result when <see cref="Status"/> is <see cref="ReplicaAnswerStatus.Ok"/>.</summary>
    [Key(1)] public ReadOnlyMemory<byte> Result { get; init; }

    /// <summary>The leader the replica knows of (0 = none).</summary>
    [Key(2)] public ulong Leader { get; init; }

    /// <summary>The replica's current term.</summary>
    [Key(3)] public ulong Term { get; init; }

    /// <summary>True when the answering replica leads: its <see cref="Members"/> are the group's latest.</summary>
    [Key(4)] public bool FromLeader { get; init; }

    /// <summary>Log index of the configuration <see cref="Members"/> comes from.</summary>
    [Key(5)] public ulong ConfigurationIndex { get; init; }

    /// <summary>Voters and learners of the configuration in force on the answering replica.</summary>
    [Key(6)] public ImmutableArray<ulong> Members { get; init; } = [];

    /// <summary>Why the request failed, for <see cref="ReplicaAnswerStatus.Faulted"/> and <see cref="ReplicaAnswerStatus.Unknown"/>.</summary>
    [Key(7)] public string? Error { get; init; }
}
