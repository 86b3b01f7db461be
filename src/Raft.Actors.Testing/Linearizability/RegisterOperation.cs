namespace Raft.Actors.Testing.Linearizability;

/// <summary>
/// A <see cref="KvOperation"/> on one key as the search sees it: values replaced by the ids
/// <see cref="RegisterModel"/> interned for them, so a state is an <see cref="int"/>.
/// </summary>
/// <param name="HistoryIndex">Position of the operation in the caller's history, for explanations.</param>
/// <param name="Source">The operation as given.</param>
/// <param name="IsUnknown">The outcome is unknown: optional, no completion, output unconstrained.</param>
/// <param name="Value">Id of the value a Put or Cas writes.</param>
/// <param name="Expected">Id of the value a Cas expects.</param>
/// <param name="Output">Id of the value a Get read.</param>
internal sealed record RegisterOperation(
    int HistoryIndex,
    KvOperation Source,
    bool IsUnknown,
    int Value,
    int Expected,
    int Output)
{
    public KvOpKind Kind => Source.Kind;

    public long InvokedAt => Source.InvokedAt;

    /// <summary>Completion time; <see cref="long.MaxValue"/> (never) for an unknown outcome.</summary>
    public long CompletedAt => IsUnknown ? long.MaxValue : Source.CompletedAt;

    /// <summary>
    /// True for a known operation that never changes the register: a Get, or a Cas that reported
    /// no swap.
    /// </summary>
    public bool IsReadOnly => !IsUnknown && (Kind == KvOpKind.Get || (Kind == KvOpKind.Cas && !Source.CasApplied));
}
