using Akka.Actor;
using Raft.Actors.Routing;
using Raft.Akka.Serialization;

namespace Raft.Akka.Runtime;

/// <summary>
/// Carries client requests to a node's replica as an Akka <c>Ask</c> of that node's raft actor
/// (a <see cref="RaftRequest"/> with <see cref="RoutingCodec"/> bytes). A node that is not a
/// configured member fails at once, so the router moves on; a node that does not answer fails
/// when the attempt is cancelled.
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class AskReplicaInvoker(RaftSettings settings, RaftPeers peers) : EncodedReplicaInvoker
{
    /// <inheritdoc />
    protected override async Task<byte[]> SendAsync(ulong node, byte[] request, CancellationToken cancellationToken)
    {
        var actor = peers.ActorOf(node) ?? throw new InvalidOperationException($"Raft node {node} is not a member ({RaftSettings.Section}.members).");
        var answer = await actor.Ask<RaftAnswer>(new RaftRequest(settings.ClusterId, request), settings.RequestTimeout, cancellationToken).ConfigureAwait(false);
        return answer.Answer;
    }
}
