namespace Raft.Actors.Consensus;

/// <summary>What happened to a proposal handed to <see cref="RaftNode.Propose"/>.</summary>
public enum ProposeStatus : byte
{
    /// <summary>Appended at <see cref="ProposeResult.Index"/> in <see cref="ProposeResult.Term"/>; not yet committed.</summary>
    Accepted,

    /// <summary>This node is not the leader; see <see cref="ProposeResult.LeaderHint"/>.</summary>
    NotLeader,

    /// <summary>
    /// Not now: a configuration change or a leadership transfer is in progress, or the leader has
    /// not yet committed an entry of its term. Retry shortly; <see cref="ProposeResult.Reason"/> says which.
    /// </summary>
    Busy,

    /// <summary>The proposal can never be accepted as it is; <see cref="ProposeResult.Reason"/> says why.</summary>
    Invalid,
}

/// <summary>
/// The outcome of a proposal. An accepted proposal commits if and only if the entry applied at
/// <see cref="Index"/> has <see cref="Term"/>; if another entry is applied there, it never will.
/// </summary>
public readonly record struct ProposeResult(ProposeStatus Status, ulong Index, ulong Term, ulong LeaderHint, string? Reason = null)
{
    internal static ProposeResult Accepted(ulong index, ulong term) => new(ProposeStatus.Accepted, index, term, 0);

    internal static ProposeResult NotLeader(ulong leaderHint) => new(ProposeStatus.NotLeader, 0, 0, leaderHint);

    internal static ProposeResult Busy(ulong leader, string reason) => new(ProposeStatus.Busy, 0, 0, leader, reason);

    internal static ProposeResult Invalid(ulong leader, string reason) => new(ProposeStatus.Invalid, 0, 0, leader, reason);
}
