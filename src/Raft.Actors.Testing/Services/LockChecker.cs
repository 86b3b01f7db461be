using Raft.Actors.Testing.Linearizability;

namespace Raft.Actors.Testing.Services;

/// <summary>
/// Checks what a fencing token promises (PITFALLS 18: a lock without a fencing token is not
/// mutual exclusion), in the state the replicas applied and in the clients' history.
/// </summary>
/// <remarks>
/// <para>Feed the applied commands of one group in log order, each once (<see cref="OnAcquire"/>,
/// <see cref="OnFencedWrite"/>); a retried command that the client sessions did not apply again
/// is not fed. For every lock L it checks:</para>
/// <list type="number">
/// <item><description><b>Fenced writes in token order.</b> A fenced write on L that the state machine
/// accepted carries a token t with t ≥ every token of a fenced write on L accepted before it: a
/// write with a token lower than one already accepted is refused. So two holders whose epochs
/// overlap never both succeed at a fenced write after the newer one has written.</description></item>
/// <item><description><b>Only issued tokens.</b> An accepted fenced write's token was issued by a
/// grant of L applied before it (t ≤ the highest token granted so far).</description></item>
/// <item><description><b>New holders, higher tokens.</b> An acquire of L granted to owner o
/// (new or re-entered) gets a token strictly greater than every token granted before to any
/// other owner.</description></item>
/// </list>
/// <para><see cref="CheckAcquisitions"/> checks the third rule on the clients' side, in real
/// time: of two acquisitions granted to different owners and answered Ok, the one that completed
/// before the other was invoked has the lower token, and no two carry the same token. An acquire
/// with an unknown outcome may have been granted and constrains nothing.</para>
/// <para>Not thread-safe; one instance per run.</para>
/// </remarks>
public sealed class LockChecker
{
    private readonly Dictionary<string, AppliedLock> _locks = new(StringComparer.Ordinal);

    /// <summary>Fenced writes the state machine accepted.</summary>
    public int FencedWritesAccepted { get; private set; }

    /// <summary>Fenced writes the state machine refused.</summary>
    public int FencedWritesRefused { get; private set; }

    /// <summary>Acquires the state machine granted.</summary>
    public int Grants { get; private set; }

    /// <summary>An acquire of <paramref name="lockName"/> by <paramref name="owner"/> was applied at <paramref name="index"/>. Returns a violation, or null.</summary>
    public string? OnAcquire(ulong index, string lockName, string owner, bool granted, long token)
    {
        ArgumentNullException.ThrowIfNull(lockName);
        ArgumentNullException.ThrowIfNull(owner);
        if (!granted)
        {
            return null;
        }

        Grants++;
        var state = Of(lockName);
        foreach (var (other, highest) in state.HighestGrant)
        {
            if (other != owner && highest >= token)
            {
                return $"lock '{lockName}': entry {index} granted token {token} to '{owner}', but token {highest} was granted before to '{other}'";
            }
        }

        state.HighestGrant[owner] = Math.Max(token, state.HighestGrant.GetValueOrDefault(owner));
        state.HighestIssued = Math.Max(state.HighestIssued, token);
        return null;
    }

    /// <summary>A write fenced by <paramref name="lockName"/>'s <paramref name="token"/> was applied at <paramref name="index"/>. Returns a violation, or null.</summary>
    public string? OnFencedWrite(ulong index, string lockName, long token, bool accepted)
    {
        ArgumentNullException.ThrowIfNull(lockName);
        if (!accepted)
        {
            FencedWritesRefused++;
            return null;
        }

        FencedWritesAccepted++;
        var state = Of(lockName);
        if (token < state.HighestAccepted)
        {
            return $"lock '{lockName}': entry {index}, a write fenced with token {token}, was accepted after one fenced with token {state.HighestAccepted} (entry {state.HighestAcceptedAt}): two holders' writes interleave";
        }

        if (token > state.HighestIssued)
        {
            return $"lock '{lockName}': entry {index}, a write fenced with token {token}, was accepted though the highest token granted so far is {state.HighestIssued}";
        }

        state.HighestAccepted = token;
        state.HighestAcceptedAt = index;
        return null;
    }

    /// <summary>Checks the clients' acquisitions (see the remarks); returns the first violation, or null.</summary>
    public static string? CheckAcquisitions(IReadOnlyList<LockAcquisition> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        foreach (var group in history.Where(a => a.Outcome == OpOutcome.Ok && a.Granted).GroupBy(a => a.Lock, StringComparer.Ordinal))
        {
            var granted = group.ToArray();
            foreach (var same in granted.GroupBy(a => a.Token))
            {
                var owners = same.Select(a => a.Owner).Distinct(StringComparer.Ordinal).ToArray();
                if (owners.Length > 1)
                {
                    return $"lock '{group.Key}': token {same.Key} granted to both '{owners[0]}' and '{owners[1]}'";
                }
            }

            // Sweep invocations in time order, keeping each owner's highest token among the grants
            // completed before: every other owner's later grant must be above it.
            var byCompletion = granted.OrderBy(a => a.CompletedAt).ToArray();
            var highest = new Dictionary<string, LockAcquisition>(StringComparer.Ordinal);
            var done = 0;
            foreach (var a in granted.OrderBy(a => a.InvokedAt))
            {
                for (; done < byCompletion.Length && byCompletion[done].CompletedAt < a.InvokedAt; done++)
                {
                    var c = byCompletion[done];
                    if (!highest.TryGetValue(c.Owner, out var h) || c.Token > h.Token)
                    {
                        highest[c.Owner] = c;
                    }
                }

                foreach (var (owner, h) in highest)
                {
                    if (owner != a.Owner && h.Token >= a.Token)
                    {
                        return $"lock '{group.Key}': '{h.Owner}' was granted token {h.Token} (client {h.Client}, completed {h.CompletedAt}) before '{a.Owner}' asked (client {a.Client}, invoked {a.InvokedAt}), yet '{a.Owner}' got token {a.Token}";
                    }
                }
            }
        }

        return null;
    }

    private AppliedLock Of(string lockName)
    {
        if (!_locks.TryGetValue(lockName, out var state))
        {
            _locks[lockName] = state = new AppliedLock();
        }

        return state;
    }

    private sealed class AppliedLock
    {
        public Dictionary<string, long> HighestGrant { get; } = new(StringComparer.Ordinal);

        public long HighestIssued { get; set; }

        public long HighestAccepted { get; set; }

        public ulong HighestAcceptedAt { get; set; }
    }
}
