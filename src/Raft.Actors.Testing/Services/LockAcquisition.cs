using Raft.Actors.Testing.Linearizability;

namespace Raft.Actors.Testing.Services;

/// <summary>
/// One acquire request on a replicated lock, as the client observed it. Times are a clock shared
/// by all clients, as in <see cref="KvOperation"/>.
/// </summary>
/// <param name="Client">The client that issued it; used only to describe operations.</param>
/// <param name="Lock">The lock's name.</param>
/// <param name="Owner">The owner the client acquires as.</param>
/// <param name="InvokedAt">When the client sent it.</param>
/// <param name="CompletedAt">When the client got the answer; ignored unless <paramref name="Outcome"/> is <see cref="OpOutcome.Ok"/>.</param>
/// <param name="Outcome">Ok (answered), failed, or unknown (the request may have been applied).</param>
/// <param name="Granted">Ok: the lock was granted (new or re-entered); false when another owner held it.</param>
/// <param name="Token">Ok and granted: the fencing token of the grant.</param>
public sealed record LockAcquisition(
    int Client,
    string Lock,
    string Owner,
    long InvokedAt,
    long CompletedAt,
    OpOutcome Outcome,
    bool Granted,
    long Token);
