namespace Raft.Actors.Testing.Linearizability;

/// <summary>
/// One client operation on a key-value register, as the client observed it. Times are any
/// monotonically comparable clock shared by all clients (virtual milliseconds, ticks); an
/// operation may take effect at any instant in [<paramref name="InvokedAt"/>,
/// <paramref name="CompletedAt"/>]. Two operations whose times touch (one completes at the
/// instant the other is invoked) count as concurrent, since a clock that coarse cannot order them.
/// </summary>
/// <param name="Client">The client that issued it; used only to describe operations.</param>
/// <param name="Kind">Get, put or compare-and-set.</param>
/// <param name="Key">The register it acts on. Registers start absent.</param>
/// <param name="Value">Put: the value written. Cas: the new value. <see langword="null"/> writes "absent".</param>
/// <param name="Expected">Cas: the value the register must hold for the swap (<see langword="null"/> = absent).</param>
/// <param name="InvokedAt">When the client sent it.</param>
/// <param name="CompletedAt">When the client got the answer; ignored when <paramref name="Outcome"/> is <see cref="OpOutcome.Unknown"/>.</param>
/// <param name="Outcome">Whether the operation took effect: yes, no, or perhaps.</param>
/// <param name="Output">Get with <see cref="OpOutcome.Ok"/>: the value read (<see langword="null"/> = absent).</param>
/// <param name="CasApplied">Cas with <see cref="OpOutcome.Ok"/>: whether the swap happened.</param>
public sealed record KvOperation(
    int Client,
    KvOpKind Kind,
    string Key,
    string? Value,
    string? Expected,
    long InvokedAt,
    long CompletedAt,
    OpOutcome Outcome,
    string? Output,
    bool CasApplied);
