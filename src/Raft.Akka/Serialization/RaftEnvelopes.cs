namespace Raft.Akka.Serialization;

/// <summary>The messages the raft actors of two nodes exchange; serialized by <see cref="RaftEnvelopeSerializer"/>.</summary>
public interface IRaftEnvelope
{
}

/// <summary>
/// One frame of replica messages (<see cref="Actors.Protocol.MessageCodec"/>) from node
/// <paramref name="From"/> of cluster <paramref name="ClusterId"/>, told to the destination node's raft actor.
/// </summary>
/// <param name="ClusterId">The sender's <see cref="RaftSettings.ClusterId"/>.</param>
/// <param name="From">The sender's node id.</param>
/// <param name="Frame">The encoded messages.</param>
public sealed record RaftFrame(string ClusterId, ulong From, byte[] Frame) : IRaftEnvelope;

/// <summary>A client request (<see cref="Actors.Routing.RoutingCodec"/> bytes), asked of a node's raft actor.</summary>
/// <param name="ClusterId">The asker's <see cref="RaftSettings.ClusterId"/>.</param>
/// <param name="Request">The encoded <see cref="Actors.Routing.ReplicaRequest"/>.</param>
public sealed record RaftRequest(string ClusterId, byte[] Request) : IRaftEnvelope;

/// <summary>The answer to a <see cref="RaftRequest"/>: an encoded <see cref="Actors.Routing.ReplicaAnswer"/>.</summary>
/// <param name="Answer">The encoded answer.</param>
public sealed record RaftAnswer(byte[] Answer) : IRaftEnvelope;
