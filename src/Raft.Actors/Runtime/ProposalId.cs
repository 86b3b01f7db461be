namespace Raft.Actors.Runtime;

/// <summary>
/// Identifies a proposal across retries: a client session id and an increasing sequence
/// number. A proposal retried with the same id applies at most once (thesis §6.3).
/// </summary>
/// <param name="ClientId">The client session (not 0).</param>
/// <param name="Sequence">Increases by one per new command of the session (not 0).</param>
public readonly record struct ProposalId(ulong ClientId, ulong Sequence);
