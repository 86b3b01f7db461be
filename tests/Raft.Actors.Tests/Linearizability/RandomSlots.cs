using Raft.Actors.Testing.Linearizability;

namespace Raft.Actors.Tests.Linearizability;

/// <summary>
/// When and how the operations of small random histories happen: each client runs one operation
/// at a time, invocations and completions overlap across clients, and roughly
/// <c>unknownIn20</c> in 20 outcomes are unknown and 3 in 20 failed.
/// </summary>
internal sealed class RandomSlots(Random random, int clients, int unknownIn20)
{
    private readonly long[] _freeAt = new long[clients];

    /// <summary>The next operation's client, invocation and completion times, and outcome.</summary>
    public (int Client, long InvokedAt, long CompletedAt, OpOutcome Outcome) Next()
    {
        var client = random.Next(clients);
        var invokedAt = _freeAt[client] + random.Next(0, 4);
        var completedAt = invokedAt + random.Next(0, 6);
        _freeAt[client] = completedAt + 1;
        var roll = random.Next(20);
        var outcome = roll < 17 - unknownIn20 ? OpOutcome.Ok : roll < 17 ? OpOutcome.Unknown : OpOutcome.Failed;
        return (client, invokedAt, completedAt, outcome);
    }
}
