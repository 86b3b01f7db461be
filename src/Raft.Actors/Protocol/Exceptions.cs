namespace Raft.Actors.Protocol;

/// <summary>The replica asked is not the leader; retry at <see cref="LeaderHint"/> when it is known.</summary>
public sealed class NotLeaderException(ulong group, ulong leaderHint)
    : Exception(leaderHint == 0 ? $"Group {group}: this replica is not the leader and knows no leader." : $"Group {group}: this replica is not the leader; the leader is node {leaderHint}.")
{
    /// <summary>The group asked.</summary>
    public ulong Group { get; } = group;

    /// <summary>The last known leader, 0 when unknown.</summary>
    public ulong LeaderHint { get; } = leaderHint;
}

/// <summary>
/// The outcome of a command is not known: it timed out or the replica lost leadership after
/// accepting it. The command may still commit (or may already have). Retry with the same
/// client id and sequence so it applies at most once.
/// </summary>
public sealed class UnknownOutcomeException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A command was not and never will be committed (another entry took its place); it is safe to retry.</summary>
public sealed class CommandDroppedException(string message) : Exception(message);

/// <summary>Bytes from the network could not be decoded: unknown version, oversized or malformed frame.</summary>
public sealed class ProtocolException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The replica stopped because its state machine or its storage failed. It does not skip the
/// failing command or write (that would diverge from its peers); an operator must act.
/// </summary>
public sealed class RaftReplicaFaultedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A member of the group refused this node: its storage is not the one the group recorded for
/// its node id, so it lost its disk. It must rejoin under a new node id.
/// </summary>
public sealed class NodeRefusedException(ulong nodeId, ulong refusedBy, ulong recordedDiskId, ulong diskId, string message)
    : Exception(message)
{
    /// <summary>The refused node.</summary>
    public ulong NodeId { get; } = nodeId;

    /// <summary>The member that refused it.</summary>
    public ulong RefusedBy { get; } = refusedBy;

    /// <summary>The disk id the group recorded for <see cref="NodeId"/>.</summary>
    public ulong RecordedDiskId { get; } = recordedDiskId;

    /// <summary>The disk id of the refused node's storage.</summary>
    public ulong DiskId { get; } = diskId;
}
