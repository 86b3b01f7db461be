using Raft.Actors.Routing;

namespace Raft.Orleans.Runtime;

/// <summary>
/// Carries client requests to a node's replica as <see cref="IRaftSiloService.Invoke"/> calls to
/// the silo that is the node. A node with no active silo fails at once, so the router moves on.
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class GrainServiceReplicaInvoker(RaftSiloServiceClient client, SiloDirectory directory) : EncodedReplicaInvoker
{
    /// <inheritdoc />
    protected override Task<byte[]> SendAsync(ulong node, byte[] request, CancellationToken cancellationToken)
    {
        var silo = directory.SiloOf(node) ?? throw new InvalidOperationException($"Raft node {node} is not an active silo of the cluster.");
        return client.On(silo).Invoke(request).WaitAsync(cancellationToken);
    }
}
