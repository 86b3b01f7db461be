using Raft.Actors.Testing.Linearizability;

namespace Raft.Actors.Testing.Services;

/// <summary>
/// One "next range" request on a replicated sequence, as the client observed it. Times are a
/// clock shared by all clients, as in <see cref="KvOperation"/>.
/// </summary>
/// <param name="Client">The client that issued it; used only to describe operations.</param>
/// <param name="Sequence">The sequence's name.</param>
/// <param name="InvokedAt">When the client sent it.</param>
/// <param name="CompletedAt">When the client got the answer; ignored unless <paramref name="Outcome"/> is <see cref="OpOutcome.Ok"/>.</param>
/// <param name="Outcome">Ok (the range below was handed out), failed, or unknown (the request may have taken numbers).</param>
/// <param name="Start">Ok: the first number of the range.</param>
/// <param name="End">Ok: one past the last number of the range.</param>
public sealed record SequenceOperation(
    int Client,
    string Sequence,
    long InvokedAt,
    long CompletedAt,
    OpOutcome Outcome,
    long Start,
    long End);
