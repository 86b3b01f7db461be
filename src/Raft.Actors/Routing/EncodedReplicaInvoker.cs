namespace Raft.Actors.Routing;

/// <summary>
/// An <see cref="IReplicaInvoker"/> for transports that carry opaque bytes (grain calls, Akka
/// asks, TCP): the request is encoded with <see cref="RoutingCodec"/>, sent by
/// <see cref="SendAsync"/>, and the bytes that come back are decoded as the answer.
/// </summary>
/// <remarks>Thread-safe as long as <see cref="SendAsync"/> is.</remarks>
public abstract class EncodedReplicaInvoker : IReplicaInvoker
{
    /// <inheritdoc />
    public async Task<ReplicaAnswer> InvokeAsync(ulong node, ReplicaRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var answer = await SendAsync(node, RoutingCodec.Encode(request), cancellationToken).ConfigureAwait(false);
        return RoutingCodec.DecodeAnswer(answer);
    }

    /// <summary>
    /// Carries an encoded request to <paramref name="node"/> (whose side runs
    /// <see cref="ReplicaRequestHandler.HandleAsync"/> on the decoded request) and returns the
    /// encoded answer. Throws when no answer came back (see <see cref="IReplicaInvoker.InvokeAsync"/>).
    /// </summary>
    protected abstract Task<byte[]> SendAsync(ulong node, byte[] request, CancellationToken cancellationToken);
}
