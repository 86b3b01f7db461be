using Raft.Actors.Testing.Linearizability;

namespace Raft.Actors.Tests.Linearizability;

/// <summary>
/// Generates client histories of a correct store: each operation takes effect on a real
/// atomic register at a random instant inside its window, so every history it produces is
/// linearizable by construction. Every write writes a fresh value, which lets
/// <see cref="WithStaleRead"/> pick a read that no linearization can explain.
/// </summary>
internal sealed class AtomicRegisterSimulation
{
    private readonly Random _random;

    public AtomicRegisterSimulation(int seed) => _random = new Random(seed);

    public int Clients { get; init; } = 5;

    public int Keys { get; init; } = 1;

    public double UnknownRate { get; init; }

    public double FailedRate { get; init; }

    /// <summary>A history of <paramref name="count"/> operations, in invocation order per client.</summary>
    public List<KvOperation> Generate(int count)
    {
        var clientFreeAt = new long[Clients];
        var lastWritten = new Dictionary<string, string>();
        var planned = new List<(KvOperation Op, long? EffectAt)>(count);
        for (var n = 0; n < count; n++)
        {
            // The client that has been idle longest goes next: all clients stay busy, so about
            // Clients operations overlap at any instant.
            var client = 0;
            for (var c = 1; c < Clients; c++)
            {
                client = clientFreeAt[c] < clientFreeAt[client] ? c : client;
            }

            var invokedAt = clientFreeAt[client] + _random.Next(0, 3);
            var effectAt = invokedAt + _random.Next(0, 10);
            var completedAt = effectAt + _random.Next(0, 10);
            clientFreeAt[client] = completedAt;

            var key = "k" + _random.Next(Keys);
            var roll = _random.NextDouble();
            var kind = roll < 0.4 ? KvOpKind.Get : roll < 0.75 ? KvOpKind.Put : KvOpKind.Cas;
            string? value = kind == KvOpKind.Get ? null : $"v{n}";
            string? expected = null;
            if (kind == KvOpKind.Cas)
            {
                // Usually the latest value written, so many swaps apply; sometimes absent, which
                // mostly fails once the key has been written.
                expected = _random.Next(4) > 0 && lastWritten.TryGetValue(key, out var latest) ? latest : null;
            }

            if (value is not null)
            {
                lastWritten[key] = value;
            }

            var outcome = OpOutcome.Ok;
            long? effect = effectAt;
            var outcomeRoll = _random.NextDouble();
            if (outcomeRoll < FailedRate)
            {
                outcome = OpOutcome.Failed;
                effect = null;
            }
            else if (outcomeRoll < FailedRate + UnknownRate)
            {
                outcome = OpOutcome.Unknown;
                effect = _random.Next(2) == 0 ? null : effectAt + _random.Next(0, 40);
            }

            planned.Add((new KvOperation(client, kind, key, value, expected, invokedAt, completedAt, outcome, null, false), effect));
        }

        // Apply the effects in time order to a real register and fill in what clients saw.
        var order = Enumerable.Range(0, planned.Count).Where(i => planned[i].EffectAt is not null)
            .OrderBy(i => planned[i].EffectAt).ThenBy(i => i);
        var register = new Dictionary<string, string?>();
        var history = planned.Select(p => p.Op).ToList();
        foreach (var i in order)
        {
            var op = history[i];
            var current = register.GetValueOrDefault(op.Key);
            switch (op.Kind)
            {
                case KvOpKind.Get:
                    history[i] = op with { Output = op.Outcome == OpOutcome.Ok ? current : null };
                    break;
                case KvOpKind.Put:
                    register[op.Key] = op.Value;
                    break;
                case KvOpKind.Cas:
                    var applied = current == op.Expected;
                    if (applied)
                    {
                        register[op.Key] = op.Value;
                    }

                    history[i] = op with { CasApplied = op.Outcome == OpOutcome.Ok && applied };
                    break;
            }
        }

        return history;
    }

    /// <summary>
    /// Rewrites one successful Get of <paramref name="history"/> to read a stale value: one
    /// whose only write completed before another definite write began, which in turn completed
    /// before the Get began, so in every linearization it was overwritten before the Get. Returns
    /// the index rewritten, or -1 when no Get has such a value.
    /// </summary>
    public int WithStaleRead(List<KvOperation> history)
    {
        bool DefinitelyWrote(KvOperation op) =>
            op.Outcome == OpOutcome.Ok && (op.Kind == KvOpKind.Put || (op.Kind == KvOpKind.Cas && op.CasApplied));

        var gets = Enumerable.Range(0, history.Count)
            .Where(i => history[i].Kind == KvOpKind.Get && history[i].Outcome == OpOutcome.Ok)
            .OrderBy(_ => _random.Next()).ToList();
        foreach (var g in gets)
        {
            var get = history[g];
            var overwrites = history.Where(w => w.Key == get.Key && DefinitelyWrote(w) && w.CompletedAt < get.InvokedAt).ToList();
            if (overwrites.Count == 0)
            {
                continue;
            }

            // Absent is stale once any write finished before the Get (the generator never writes absent).
            var stale = new List<string?> { null };
            foreach (var old in history.Where(w => w.Key == get.Key && DefinitelyWrote(w)))
            {
                if (overwrites.Any(w2 => !ReferenceEquals(w2, old) && old.CompletedAt < w2.InvokedAt))
                {
                    stale.Add(old.Value);
                }
            }

            history[g] = get with { Output = stale[_random.Next(stale.Count)] };
            return g;
        }

        return -1;
    }
}
