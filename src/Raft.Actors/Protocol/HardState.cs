using MessagePack;

namespace Raft.Actors.Protocol;

/// <summary>
/// The state a replica must never forget (Raft Figure 2 "persistent state"): current term and
/// vote, plus the commit index so a restart can re-apply without waiting for a leader.
/// </summary>
[MessagePackObject]
public readonly record struct HardState(
    [property: Key(0)] ulong Term,
    [property: Key(1)] ulong Vote,
    [property: Key(2)] ulong Commit)
{
    /// <summary>The state of a node that has never run.</summary>
    public static HardState Empty => default;

    /// <summary>True when nothing was ever persisted.</summary>
    [IgnoreMember] public bool IsEmpty => Term == 0 && Vote == 0 && Commit == 0;
}
