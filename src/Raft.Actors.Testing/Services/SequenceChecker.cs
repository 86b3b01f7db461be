using Raft.Actors.Testing.Linearizability;

namespace Raft.Actors.Testing.Services;

/// <summary>
/// Checks a history of <see cref="SequenceOperation"/>s against what a sequence promises.
/// </summary>
/// <remarks>
/// <para>For each sequence, over the operations whose outcome is <see cref="OpOutcome.Ok"/>:</para>
/// <list type="number">
/// <item><description>every range is non-empty (<c>Start &lt; End</c>);</description></item>
/// <item><description>no number is handed out twice: the ranges are pairwise disjoint;</description></item>
/// <item><description>real-time order: if A completed before B was invoked (strictly: A.CompletedAt
/// &lt; B.InvokedAt), then A.Start &lt; B.Start.</description></item>
/// </list>
/// <para>Operations with an unknown outcome may or may not have taken numbers: they constrain
/// nothing, and gaps in the numbers handed out are allowed. Failed operations are ignored.</para>
/// <para>Pure and thread-safe; O(n log n) per sequence.</para>
/// </remarks>
public static class SequenceChecker
{
    /// <summary>Returns the first violation found, or null when the history keeps every rule.</summary>
    public static string? Check(IReadOnlyList<SequenceOperation> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        foreach (var group in history.Where(o => o.Outcome == OpOutcome.Ok).GroupBy(o => o.Sequence, StringComparer.Ordinal))
        {
            if (CheckOne(group.Key, [.. group]) is { } violation)
            {
                return violation;
            }
        }

        return null;
    }

    private static string? CheckOne(string name, SequenceOperation[] ok)
    {
        if (ok.FirstOrDefault(o => o.Start >= o.End) is { } empty)
        {
            return $"sequence '{name}': {Describe(empty)} handed out an empty range";
        }

        // Sorted by start, disjoint ranges follow each other without overlap.
        var byStart = ok.OrderBy(o => o.Start).ThenBy(o => o.End).ToArray();
        for (var i = 1; i < byStart.Length; i++)
        {
            if (byStart[i].Start < byStart[i - 1].End)
            {
                return $"sequence '{name}': numbers handed out twice: {Describe(byStart[i - 1])} and {Describe(byStart[i])}";
            }
        }

        // Sweep invocations in time order, keeping the completed operation with the highest start:
        // every later invocation must start above it.
        var byCompletion = ok.OrderBy(o => o.CompletedAt).ToArray();
        var done = 0;
        SequenceOperation? highest = null;
        foreach (var op in ok.OrderBy(o => o.InvokedAt))
        {
            for (; done < byCompletion.Length && byCompletion[done].CompletedAt < op.InvokedAt; done++)
            {
                if (highest is null || byCompletion[done].Start > highest.Start)
                {
                    highest = byCompletion[done];
                }
            }

            if (highest is not null && highest.Start >= op.Start)
            {
                return $"sequence '{name}': not monotonic in real time: {Describe(highest)} completed before {Describe(op)} was invoked, yet starts at or above it";
            }
        }

        return null;
    }

    private static string Describe(SequenceOperation o) =>
        $"client {o.Client}'s range [{o.Start}, {o.End}) (invoked {o.InvokedAt}, completed {o.CompletedAt})";
}
