using Raft.Actors.Testing.Linearizability;

namespace Raft.Actors.Tests.Linearizability;

/// <summary>
/// The definition of linearizability, checked by trying every order: a reference for small
/// histories of one key, written independently of the checker's search and its prunings.
/// </summary>
internal static class BruteForceLinearizability
{
    public static bool IsLinearizable(IReadOnlyList<KvOperation> history)
    {
        var ops = history.Where(op => op.Outcome != OpOutcome.Failed).ToList();
        var required = ops.Count(op => op.Outcome == OpOutcome.Ok);
        return Extend(ops, new bool[ops.Count], required, null);
    }

    private static bool Extend(List<KvOperation> ops, bool[] used, int requiredLeft, string? register)
    {
        if (requiredLeft == 0)
        {
            return true;
        }

        for (var i = 0; i < ops.Count; i++)
        {
            if (used[i] || !MayGoNext(ops, used, i) || !Apply(ops[i], register, out var next))
            {
                continue;
            }

            used[i] = true;
            var found = Extend(ops, used, requiredLeft - (ops[i].Outcome == OpOutcome.Ok ? 1 : 0), next);
            used[i] = false;
            if (found)
            {
                return true;
            }
        }

        return false;
    }

    // Real-time order: every operation that completed before this one was invoked must already
    // have taken effect. An unknown operation never completes, so it never has to precede anything.
    private static bool MayGoNext(List<KvOperation> ops, bool[] used, int candidate)
    {
        for (var j = 0; j < ops.Count; j++)
        {
            if (!used[j] && ops[j].Outcome == OpOutcome.Ok && ops[j].CompletedAt < ops[candidate].InvokedAt)
            {
                return false;
            }
        }

        return true;
    }

    private static bool Apply(KvOperation op, string? register, out string? next)
    {
        next = register;
        var known = op.Outcome == OpOutcome.Ok;
        switch (op.Kind)
        {
            case KvOpKind.Get:
                return !known || op.Output == register;
            case KvOpKind.Put:
                next = op.Value;
                return true;
            default:
                var swaps = register == op.Expected;
                if (swaps)
                {
                    next = op.Value;
                }

                return !known || swaps == op.CasApplied;
        }
    }
}
