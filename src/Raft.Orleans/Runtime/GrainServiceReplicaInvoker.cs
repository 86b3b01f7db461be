using Raft.Actors.Routing;

namespace Raft.Orleans.Runtime;

/// <summary>
/// Carries client requests to a node's replica as <see cref="IRaftSiloService.Invoke"/> calls to
/// the silo that is the node. A node with no active silo fails at once, so the router moves on.
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class GrainServiceReplicaInvoker(RaftSiloServiceClient client, SiloDirectory directory) : IReplicaInvoker
{
    /// <inheritdoc />
    public async Task<ReplicaAnswer> InvokeAsync(ulong node, ReplicaRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var silo = directory.SiloOf(node) ?? throw new InvalidOperationException($"Raft node {node} is not an active silo of the cluster.");
        var answer = await client.On(silo).Invoke(RoutingCodec.Encode(request)).WaitAsync(cancellationToken).ConfigureAwait(false);
        return RoutingCodec.DecodeAnswer(answer);
    }
}
