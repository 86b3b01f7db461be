using System.Globalization;
using System.Text;

namespace Raft.Actors.Testing.Linearizability;

/// <summary>
/// Describes why a key's history is not linearizable, from the longest prefix the search could
/// linearize: the tail of that prefix with the state after each step, then the operations that
/// could come next and why each contradicts the register.
/// </summary>
internal static class ViolationExplanation
{
    private const int PrefixLinesShown = 12;
    private const int UnknownCandidatesShown = 5;

    public static string Write(string key, IReadOnlyList<RegisterOperation> ops, ReadOnlySpan<int> prefix)
    {
        var text = new StringBuilder();
        var knownTotal = 0;
        foreach (var op in ops)
        {
            knownTotal += op.IsUnknown ? 0 : 1;
        }

        text.Append(CultureInfo.InvariantCulture,
            $"Key \"{key}\" is not linearizable: no order of its {Count(ops.Count, "operation")} ({knownTotal} with a known outcome) ")
            .Append("respects both real time and the register's semantics.\n");

        var inPrefix = new bool[ops.Count];

        // Replayed twice over: by id, to check the prefix and judge candidates as the search
        // did, and by string, to show the real value rather than "some unobserved value".
        var values = new string?[prefix.Length];
        var state = RegisterModel.Absent;
        string? value = null;
        var knownInPrefix = 0;
        for (var i = 0; i < prefix.Length; i++)
        {
            var op = ops[prefix[i]];
            inPrefix[prefix[i]] = true;
            knownInPrefix += op.IsUnknown ? 0 : 1;
            if (!RegisterModel.TryStep(op, state, out state))
            {
                throw new InvalidOperationException($"Linearizability search bug: prefix step {i} (history #{op.HistoryIndex}) does not replay.");
            }

            if (op.Kind == KvOpKind.Put || (op.Kind == KvOpKind.Cas && (op.IsUnknown || op.Source.CasApplied)))
            {
                value = op.Source.Value;
            }

            values[i] = value;
        }

        text.Append(CultureInfo.InvariantCulture,
            $"Longest linearizable prefix: {Count(prefix.Length, "operation")}, {knownInPrefix} with a known outcome");
        var first = Math.Max(0, prefix.Length - PrefixLinesShown);
        text.Append(first > 0 ? $"; the last {PrefixLinesShown}:\n" : prefix.Length > 0 ? ":\n" : ".\n");
        for (var i = first; i < prefix.Length; i++)
        {
            text.Append("  ").Append(Describe(ops[prefix[i]])).Append("  => ").Append(RegisterModel.Describe(values[i])).Append('\n');
        }

        // The operation that must take effect next is the pending known one that completes
        // first (the first return left in the event list); the candidates are the pending
        // operations invoked no later than that.
        RegisterOperation? blocking = null;
        for (var i = 0; i < ops.Count; i++)
        {
            var op = ops[i];
            if (!inPrefix[i] && !op.IsUnknown && (blocking is null || op.CompletedAt < blocking.CompletedAt))
            {
                blocking = op;
            }
        }

        if (blocking is null)
        {
            return text.ToString();
        }

        text.Append(CultureInfo.InvariantCulture,
            $"Then {RegisterModel.Holding(value)}. #{blocking.HistoryIndex} must take effect before it completes at {blocking.CompletedAt}, ")
            .Append("but none of the operations that could come next can:\n");
        var unknownShown = 0;
        var unknownHidden = 0;
        for (var i = 0; i < ops.Count; i++)
        {
            var op = ops[i];
            if (inPrefix[i] || op.InvokedAt > blocking.CompletedAt)
            {
                continue;
            }

            if (op.IsUnknown && unknownShown == UnknownCandidatesShown)
            {
                unknownHidden++;
                continue;
            }

            unknownShown += op.IsUnknown ? 1 : 0;
            text.Append("  ").Append(Describe(op)).Append(": ").Append(RegisterModel.WhyNotNext(op, state, value)).Append('\n');
        }

        if (unknownHidden > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"  ... and {Count(unknownHidden, "more operation")} with an unknown outcome\n");
        }

        return text.ToString();
    }

    /// <summary>"1 operation", "2 operations".</summary>
    public static string Count(int count, string noun) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {noun}{(count == 1 ? string.Empty : "s")}");

    /// <summary>One line for an operation: <c>#7 client 2: cas "a" -> "b" applied [10, 25]</c>.</summary>
    public static string Describe(RegisterOperation op)
    {
        var source = op.Source;
        var action = source.Kind switch
        {
            KvOpKind.Get when op.IsUnknown => "get -> ?",
            KvOpKind.Get => $"get -> {RegisterModel.Describe(source.Output)}",
            KvOpKind.Put => $"put {RegisterModel.Describe(source.Value)}",
            _ => $"cas {RegisterModel.Describe(source.Expected)} -> {RegisterModel.Describe(source.Value)}"
                + (op.IsUnknown ? string.Empty : source.CasApplied ? " applied" : " not applied"),
        };
        var window = op.IsUnknown
            ? string.Create(CultureInfo.InvariantCulture, $"[{source.InvokedAt}, ?) outcome unknown")
            : string.Create(CultureInfo.InvariantCulture, $"[{source.InvokedAt}, {source.CompletedAt}]");
        return string.Create(CultureInfo.InvariantCulture, $"#{op.HistoryIndex} client {source.Client}: {action} {window}");
    }
}
