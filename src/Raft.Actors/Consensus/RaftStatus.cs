using Raft.Actors.Protocol;

namespace Raft.Actors.Consensus;

/// <summary>A point-in-time view of a node, for operators and tests.</summary>
public sealed record RaftStatus(
    ulong Id,
    ulong Term,
    ulong Vote,
    RaftRole Role,
    ulong Leader,
    ulong Commit,
    ulong Applied,
    ulong LastIndex,
    ConfState Configuration,
    IReadOnlyDictionary<ulong, FollowerStatus> Followers);

/// <summary>The leader's view of one follower.</summary>
public sealed record FollowerStatus(ulong Match, ulong Next, ProgressState State, bool RecentActive);
