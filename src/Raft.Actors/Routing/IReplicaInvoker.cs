namespace Raft.Actors.Routing;

/// <summary>
/// Carries a <see cref="ReplicaRequest"/> to one node and brings back its replica's answer: a
/// call within the process, a grain call, an Akka ask, a TCP round trip. The receiving side
/// hands the request to <see cref="ReplicaRequestHandler.HandleAsync"/>.
/// </summary>
/// <remarks>Implementations are thread-safe.</remarks>
public interface IReplicaInvoker
{
    /// <summary>Asks <paramref name="node"/>'s replica of <see cref="ReplicaRequest.Group"/>.</summary>
    /// <returns>The replica's answer.</returns>
    /// <exception cref="Exception">Any exception means no answer came back (node unreachable,
    /// timeout, cancellation): the request may or may not have reached the replica, so a
    /// proposal's outcome is unknown.</exception>
    Task<ReplicaAnswer> InvokeAsync(ulong node, ReplicaRequest request, CancellationToken cancellationToken);
}
