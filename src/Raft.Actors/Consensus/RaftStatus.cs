using Raft.Actors.Protocol;

namespace Raft.Actors.Consensus;

/// <summary>A point-in-time view of a node, for operators and tests.</summary>
/// <param name="Id">The node.</param>
/// <param name="Group">Its group.</param>
/// <param name="Term">Current term.</param>
/// <param name="Vote">Whom it voted for in <paramref name="Term"/> (0 = nobody).</param>
/// <param name="Role">Current role.</param>
/// <param name="Leader">The leader it knows of (0 = none).</param>
/// <param name="Commit">Commit index.</param>
/// <param name="Applied">Applied index.</param>
/// <param name="LastIndex">Last index in its log.</param>
/// <param name="SnapshotIndex">Index of the newest snapshot it holds (0 = none).</param>
/// <param name="Configuration">Membership in force (possibly not yet committed).</param>
/// <param name="LeadTransferee">On a leader handing over: the target (0 = none).</param>
/// <param name="Followers">On a leader: every other member's progress, by node id.</param>
public sealed record RaftStatus(
    ulong Id,
    ulong Group,
    ulong Term,
    ulong Vote,
    RaftRole Role,
    ulong Leader,
    ulong Commit,
    ulong Applied,
    ulong LastIndex,
    ulong SnapshotIndex,
    ConfState Configuration,
    ulong LeadTransferee,
    IReadOnlyDictionary<ulong, FollowerStatus> Followers);

/// <summary>The leader's view of one follower.</summary>
/// <param name="Match">Highest index known replicated on it.</param>
/// <param name="Next">Next index the leader sends it.</param>
/// <param name="State">How the leader replicates to it.</param>
/// <param name="RecentActive">Heard from within the current election timeout.</param>
/// <param name="Lag">Entries it is behind the leader's last index.</param>
public sealed record FollowerStatus(ulong Match, ulong Next, ProgressState State, bool RecentActive, ulong Lag);
