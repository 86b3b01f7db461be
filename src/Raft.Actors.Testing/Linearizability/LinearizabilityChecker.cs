using System.Diagnostics;
using System.Globalization;

namespace Raft.Actors.Testing.Linearizability;

/// <summary>
/// Decides whether a client history of a key-value store of registers (get, put,
/// compare-and-set) is linearizable: whether every operation can be given an instant within its
/// invocation and completion at which it takes effect atomically, such that the sequence of
/// those instants is a legal run of one register per key, starting absent.
/// </summary>
/// <remarks>
/// <para>
/// Linearizability is compositional (Herlihy and Wing 1990, "P-compositionality" in Lowe 2017):
/// a history is linearizable iff each key's sub-history is. Keys are checked one at a time, in
/// the order they first appear in the history, with Wing–Gong–Lowe search; the first key that
/// is not linearizable is reported.
/// </para>
/// <para>
/// Outcomes: a <see cref="OpOutcome.Failed"/> operation is dropped. An
/// <see cref="OpOutcome.Unknown"/> operation may take effect at any instant after its invocation
/// or never; its completion time and output are ignored (an unknown Get is dropped, since it
/// constrains nothing).
/// </para>
/// <para>
/// Pure and thread-safe: no I/O, no shared state. Without a budget the result is a function of
/// the history alone; with one, only whether it times out depends on the machine.
/// </para>
/// <para>
/// Cost: checking linearizability is NP-complete in general. For histories with a bounded number
/// of concurrent clients, accepting a linearizable history takes time roughly linear in its
/// length. Proving a violation costs more, since every configuration before it must be
/// exhausted, and grows with the number of unknown-outcome writes pending on the key; give a
/// budget when histories are long or have many unknown outcomes.
/// </para>
/// </remarks>
public static class LinearizabilityChecker
{
    /// <summary>
    /// Checks <paramref name="history"/>. The operations may be in any order.
    /// </summary>
    /// <param name="history">The operations of all clients on all keys.</param>
    /// <param name="budget">
    /// Upper bound on the search time across all keys; <see langword="null"/> or
    /// <see cref="Timeout.InfiniteTimeSpan"/> for none. When it runs out the result has
    /// <see cref="LinearizabilityResult.TimedOut"/> set and
    /// <see cref="LinearizabilityResult.IsLinearizable"/> = <see langword="true"/>: undecided,
    /// which callers must treat as inconclusive, not as a pass. A violation found before the
    /// budget ran out is still reported as one.
    /// </param>
    /// <returns>The verdict, with the offending key and an explanation when it is a violation.</returns>
    /// <exception cref="ArgumentException">An operation is null, has a null key, an undefined kind or
    /// outcome, or (with a known outcome) completes before it is invoked.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="budget"/> is negative.</exception>
    public static LinearizabilityResult Check(IReadOnlyList<KvOperation> history, TimeSpan? budget = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        var deadline = Deadline(budget);

        var keys = new List<string>();
        var byKey = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var dropped = 0;
        for (var i = 0; i < history.Count; i++)
        {
            var op = Validate(history, i);
            if (op.Outcome == OpOutcome.Failed || (op.Outcome == OpOutcome.Unknown && op.Kind == KvOpKind.Get))
            {
                dropped++;
                continue;
            }

            if (!byKey.TryGetValue(op.Key, out var indices))
            {
                indices = [];
                byKey.Add(op.Key, indices);
                keys.Add(op.Key);
            }

            indices.Add(i);
        }

        for (var k = 0; k < keys.Count; k++)
        {
            var key = keys[k];
            var model = new RegisterModel(byKey[key].Select(i => history[i]));
            var ops = new List<RegisterOperation>(byKey[key].Count);
            foreach (var i in byKey[key])
            {
                var op = history[i];
                ops.Add(new RegisterOperation(
                    i,
                    op,
                    op.Outcome == OpOutcome.Unknown,
                    model.Intern(op.Value),
                    model.Intern(op.Expected),
                    model.Intern(op.Output)));
            }

            var search = new RegisterSearch(ops);
            var verdict = Stopwatch.GetTimestamp() >= deadline ? SearchVerdict.TimedOut : search.Run(deadline);
            if (verdict == SearchVerdict.TimedOut)
            {
                return new LinearizabilityResult(
                    IsLinearizable: true,
                    key,
                    string.Create(CultureInfo.InvariantCulture,
                        $"Not decided: the budget of {budget} ran out while searching key \"{key}\" ")
                        + $"({ViolationExplanation.Count(ops.Count, "operation")}, {ViolationExplanation.Count(search.VisitedCount, "configuration")} visited), "
                        + $"key {k + 1} of {keys.Count}; the keys before it are linearizable. This is inconclusive, not a pass.",
                    TimedOut: true);
            }

            if (verdict == SearchVerdict.NotLinearizable)
            {
                return new LinearizabilityResult(
                    IsLinearizable: false,
                    key,
                    ViolationExplanation.Write(key, ops, search.LongestPrefix),
                    TimedOut: false);
            }
        }

        return new LinearizabilityResult(
            IsLinearizable: true,
            Key: null,
            $"Linearizable: {ViolationExplanation.Count(history.Count - dropped, "operation")} on {ViolationExplanation.Count(keys.Count, "key")} "
                + $"({ViolationExplanation.Count(dropped, "operation")} dropped: failed, or reads with an unknown outcome).",
            TimedOut: false);
    }

    private static long Deadline(TimeSpan? budget)
    {
        if (budget is not { } span || span == Timeout.InfiniteTimeSpan)
        {
            return long.MaxValue;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(span, TimeSpan.Zero, nameof(budget));
        var now = Stopwatch.GetTimestamp();
        var ticks = span.TotalSeconds * Stopwatch.Frequency;
        return ticks >= long.MaxValue - now ? long.MaxValue : now + (long)ticks;
    }

    private static KvOperation Validate(IReadOnlyList<KvOperation> history, int i)
    {
        var op = history[i] ?? throw new ArgumentException($"history[{i}] is null.", nameof(history));
        if (op.Key is null)
        {
            throw new ArgumentException($"history[{i}] has a null key.", nameof(history));
        }

        if (!Enum.IsDefined(op.Kind) || !Enum.IsDefined(op.Outcome))
        {
            throw new ArgumentException($"history[{i}] has an undefined kind ({op.Kind}) or outcome ({op.Outcome}).", nameof(history));
        }

        if (op.Outcome == OpOutcome.Ok && op.CompletedAt < op.InvokedAt)
        {
            throw new ArgumentException(
                $"history[{i}] completes at {op.CompletedAt}, before it is invoked at {op.InvokedAt}.", nameof(history));
        }

        return op;
    }
}
