using Raft.Actors.Testing.Linearizability;

namespace Raft.Actors.Tests.Linearizability;

/// <summary>
/// The definition of linearizability, checked by trying every order: a reference for small
/// histories of one key, written independently of the checker's search and its prunings.
/// </summary>
internal static class BruteForceLinearizability
{
    /// <summary>The next state of the object after <paramref name="op"/>, or false when the op's output contradicts it.</summary>
    public delegate bool Step<in TOp, TState>(TOp op, TState state, out TState next);

    public static bool IsLinearizable(IReadOnlyList<KvOperation> history) =>
        IsLinearizable<KvOperation, string?>(history, op => (op.Outcome, op.InvokedAt, op.CompletedAt), Apply, initial: null);

    /// <summary>The same definition for any sequential object: its step function and its initial state.</summary>
    public static bool IsLinearizable<TOp, TState>(
        IReadOnlyList<TOp> history, Func<TOp, (OpOutcome Outcome, long InvokedAt, long CompletedAt)> times, Step<TOp, TState> step, TState initial)
    {
        var ops = history.Select(op => (Op: op, Times: times(op))).Where(op => op.Times.Outcome != OpOutcome.Failed).ToList();
        var required = ops.Count(op => op.Times.Outcome == OpOutcome.Ok);
        return Extend(ops, new bool[ops.Count], required, initial, step);
    }

    private static bool Extend<TOp, TState>(
        List<(TOp Op, (OpOutcome Outcome, long InvokedAt, long CompletedAt) Times)> ops, bool[] used, int requiredLeft, TState state, Step<TOp, TState> step)
    {
        if (requiredLeft == 0)
        {
            return true;
        }

        for (var i = 0; i < ops.Count; i++)
        {
            if (used[i] || !MayGoNext(ops, used, i) || !step(ops[i].Op, state, out var next))
            {
                continue;
            }

            used[i] = true;
            var found = Extend(ops, used, requiredLeft - (ops[i].Times.Outcome == OpOutcome.Ok ? 1 : 0), next, step);
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
    private static bool MayGoNext<TOp>(List<(TOp Op, (OpOutcome Outcome, long InvokedAt, long CompletedAt) Times)> ops, bool[] used, int candidate)
    {
        for (var j = 0; j < ops.Count; j++)
        {
            if (!used[j] && ops[j].Times.Outcome == OpOutcome.Ok && ops[j].Times.CompletedAt < ops[candidate].Times.InvokedAt)
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
