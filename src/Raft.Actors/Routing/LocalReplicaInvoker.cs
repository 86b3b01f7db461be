using Raft.Actors.Runtime;

namespace Raft.Actors.Routing;

/// <summary>Reaches replicas running in this process (one or several <see cref="RaftHost"/>s, or bare replicas).</summary>
/// <param name="locate">Node <c>n</c>'s running replica of group <c>g</c>, or null. Called from any thread.</param>
public sealed class LocalReplicaInvoker(Func<ulong, ulong, RaftReplica?> locate) : IReplicaInvoker
{
    /// <inheritdoc />
    public Task<ReplicaAnswer> InvokeAsync(ulong node, ReplicaRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ReplicaRequestHandler.HandleAsync(locate(node, request.Group), request, cancellationToken);
    }
}
