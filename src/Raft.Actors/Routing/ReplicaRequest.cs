using MessagePack;
using Raft.Actors.Runtime;

namespace Raft.Actors.Routing;

/// <summary>What a client asks of a replica.</summary>
public enum ReplicaRequestKind : byte
{
    /// <summary>Propose <see cref="ReplicaRequest.Payload"/> as a command (leader only).</summary>
    Propose = 0,

    /// <summary>Answer <see cref="ReplicaRequest.Payload"/> as a linearizable query (any member).</summary>
    Read = 1,
}

/// <summary>
/// A client's request to one node's replica of a group, as it travels between nodes (grain
/// call, Akka message, TCP frame): see <see cref="RoutingCodec"/>.
/// </summary>
[MessagePackObject]
public sealed record ReplicaRequest
{
    /// <summary>The group.</summary>
    [Key(0)] public ulong Group { get; init; }

    /// <summary>Proposal or read.</summary>
    [Key(1)] public ReplicaRequestKind Kind { get; init; }

    /// <summary>The command or the query.</summary>
    [Key(2)] public ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>A proposal's client session (see <see cref="ProposalId"/>); 0 for reads.</summary>
    [Key(3)] public ulong ClientId { get; init; }

    /// <summary>A proposal's sequence in its session; 0 for reads.</summary>
    [Key(4)] public ulong Sequence { get; init; }

    /// <summary>How long the replica may work on it before it answers <see cref="ReplicaAnswerStatus.Unknown"/>.</summary>
    [Key(5)] public TimeSpan Timeout { get; init; }

    /// <summary>The proposal id this request carries.</summary>
    [IgnoreMember] public ProposalId Id => new(ClientId, Sequence);
}
