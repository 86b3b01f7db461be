using Raft.Actors.Runtime;

namespace Raft.Actors.Services;

/// <summary>
/// A Raft group a client can propose commands to and read from, wherever its leader is. The
/// services of <see cref="RaftServices"/> run over it; <see cref="ReplicaGroupClient"/> reaches
/// replicas in this process, and a router across nodes would be another implementation.
/// </summary>
/// <remarks>Implementations are thread-safe.</remarks>
public interface IRaftGroupClient
{
    /// <summary>The group.</summary>
    ulong Group { get; }

    /// <summary>
    /// Proposes <paramref name="command"/> and returns the state machine's result once it is
    /// committed and applied. Leader changes are followed and the command is retried with the
    /// same <paramref name="id"/>, so it applies at most once. A caller keeps one proposal
    /// outstanding per <see cref="ProposalId.ClientId"/>, with increasing sequence numbers
    /// (<see cref="ProposalSessions"/> hands out such ids).
    /// </summary>
    /// <exception cref="Protocol.UnknownOutcomeException">No outcome within the client's timeout, or the
    /// caller cancelled, after the command was handed to a leader: it may still apply. Retrying
    /// with the same id applies it at most once.</exception>
    /// <exception cref="TimeoutException">No leader took the command within the timeout; it did not apply.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before any leader took the command; it did not apply.</exception>
    Task<ReadOnlyMemory<byte>> ProposeAsync(ReadOnlyMemory<byte> command, ProposalId id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Answers <paramref name="query"/> linearizably (ReadIndex, thesis §6.4): the answer reflects
    /// every command acknowledged before the call. Retried across leader changes.
    /// </summary>
    /// <exception cref="TimeoutException">No answer within the client's timeout.</exception>
    Task<ReadOnlyMemory<byte>> ReadAsync(ReadOnlyMemory<byte> query, CancellationToken cancellationToken = default);
}
