namespace Raft.Actors.Testing.Linearizability;

/// <summary>
/// The verdict of <see cref="LinearizabilityChecker.Check"/>.
/// </summary>
/// <remarks>
/// Three cases: linearizable (<paramref name="IsLinearizable"/> and not
/// <paramref name="TimedOut"/>); a violation (not <paramref name="IsLinearizable"/>,
/// <paramref name="Key"/> names the register); or undecided (<paramref name="TimedOut"/>).
/// An undecided result reports <paramref name="IsLinearizable"/> = <see langword="true"/> so that
/// it never reads as a violation, but it is not a pass: a caller must treat it as inconclusive
/// (report it, retry with a larger budget or a shorter history), never as evidence of safety.
/// </remarks>
/// <param name="IsLinearizable">
/// <see langword="false"/> only when a violation was proven; <see langword="true"/> when the history
/// is linearizable or when the search ran out of budget (see <paramref name="TimedOut"/>).
/// </param>
/// <param name="Key">The register that is not linearizable, or the one being searched when the
/// budget ran out; <see langword="null"/> when the whole history is linearizable.</param>
/// <param name="Explanation">Human-readable account: for a violation, the longest linearizable
/// prefix of the key's operations and why no remaining operation can take effect next.</param>
/// <param name="TimedOut"><see langword="true"/> when the budget expired before a verdict.</param>
public sealed record LinearizabilityResult(bool IsLinearizable, string? Key, string Explanation, bool TimedOut);
