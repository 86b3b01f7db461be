using Raft.Actors.Protocol;
using Raft.Actors.Runtime;

namespace Raft.Actors.Routing;

/// <summary>
/// The receiving side of routing: runs a <see cref="ReplicaRequest"/> on this node's replica
/// and turns every outcome into a <see cref="ReplicaAnswer"/>, so nothing but an answer has to
/// travel back.
/// </summary>
public static class ReplicaRequestHandler
{
    /// <summary>
    /// Runs <paramref name="request"/> on <paramref name="replica"/> (null when this node hosts
    /// none of the group) within <see cref="ReplicaRequest.Timeout"/>.
    /// </summary>
    /// <returns>The answer; this method does not throw for any outcome of the request.</returns>
    public static async Task<ReplicaAnswer> HandleAsync(RaftReplica? replica, ReplicaRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (replica is null)
        {
            return new ReplicaAnswer { Status = ReplicaAnswerStatus.NoReplica };
        }

        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (request.Timeout > TimeSpan.Zero)
        {
            attempt.CancelAfter(request.Timeout);
        }

        ReplicaAnswerStatus status;
        ReadOnlyMemory<byte> result = default;
        string? error = null;
        try
        {
            result = request.Kind == ReplicaRequestKind.Read
                ? await replica.ReadAsync(request.Payload, attempt.Token).ConfigureAwait(false)
                : await replica.ProposeAsync(request.Payload, request.Id, attempt.Token).ConfigureAwait(false);
            status = ReplicaAnswerStatus.Ok;
        }
        catch (NotLeaderException)
        {
            status = ReplicaAnswerStatus.NotLeader;
        }
        catch (CommandDroppedException)
        {
            status = ReplicaAnswerStatus.Dropped;
        }
        catch (Exception ex) when (ex is UnknownOutcomeException or OperationCanceledException)
        {
            status = ReplicaAnswerStatus.Unknown;
            error = ex.Message;
        }
        catch (RaftReplicaFaultedException ex)
        {
            status = ReplicaAnswerStatus.Faulted;
            error = ex.Message;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            // Not started yet, or stopped under the request: as good as no replica here.
            status = ReplicaAnswerStatus.NoReplica;
            error = ex.Message;
        }

        var view = replica.View;
        return new ReplicaAnswer
        {
            Status = status,
            Result = result,
            Error = error,
            Leader = view.Leader,
            Term = view.Term,
            FromLeader = view.Role == Consensus.RaftRole.Leader,
            ConfigurationIndex = view.ConfigurationIndex,
            Members = [.. view.Members],
        };
    }
}
