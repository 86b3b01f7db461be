namespace Raft.Actors.Consensus;

/// <summary>What happened to a proposal handed to <see cref="RaftNode.Propose"/>.</summary>
public enum ProposeStatus : byte
{
    /// <summary>Appended at <see cref="ProposeResult.Index"/> in <see cref="ProposeResult.Term"/>; not yet committed.</summary>
    Accepted,

    /// <summary>This node is not the leader; see <see cref="ProposeResult.LeaderHint"/>.</summary>
    NotLeader,
}

/// <summary>
/// The outcome of a proposal. An accepted proposal commits if and only if the entry applied at
/// <see cref="Index"/> has <see cref="Term"/>; if another entry is applied there, it never will.
/// </summary>
public readonly record struct ProposeResult(ProposeStatus Status, ulong Index, ulong Term, ulong LeaderHint)
{
    internal static ProposeResult Accepted(ulong index, ulong term) => new(ProposeStatus.Accepted, index, term, 0);

    internal static ProposeResult NotLeader(ulong leaderHint) => new(ProposeStatus.NotLeader, 0, 0, leaderHint);
}
