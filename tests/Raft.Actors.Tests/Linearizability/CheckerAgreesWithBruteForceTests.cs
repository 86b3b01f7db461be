using Raft.Actors.Testing.Linearizability;
using Xunit;

namespace Raft.Actors.Tests.Linearizability;

/// <summary>
/// The checker prunes its search in several ways (forced reads, interchangeable unknown
/// operations, inclusion in the cache); each is argued sound in the code, and these tests hold
/// it to the definition on histories small enough to try every order.
/// </summary>
public class CheckerAgreesWithBruteForceTests
{
    private static readonly string?[] s_values = [null, "a", "b"];

    [Theory]
    [InlineData(1, 2, 6, 3)]
    [InlineData(2, 3, 7, 3)]
    [InlineData(3, 4, 8, 3)]
    [InlineData(4, 3, 8, 8)]
    [InlineData(5, 4, 9, 10)]
    [InlineData(6, 5, 11, 10)]
    public void Checker_agrees_with_trying_every_order_on_small_random_histories(int seed, int clients, int maxOps, int unknownIn20)
    {
        var random = new Random(seed);
        var verdicts = new int[2];
        for (var round = 0; round < 3000; round++)
        {
            var history = RandomHistory(random, clients, random.Next(1, maxOps + 1), unknownIn20);

            var expected = BruteForceLinearizability.IsLinearizable(history);
            var result = LinearizabilityChecker.Check(history);

            Assert.False(result.TimedOut);
            Assert.True(
                expected == result.IsLinearizable,
                $"seed {seed}, round {round}: brute force says {expected}, checker says {result.IsLinearizable}\n"
                + string.Join("\n", history) + "\n" + result.Explanation);
            verdicts[expected ? 1 : 0]++;
        }

        // Both verdicts must be common, or the comparison proves little.
        Assert.True(verdicts[0] > 300 && verdicts[1] > 300, $"seed {seed}: {verdicts[0]} violations, {verdicts[1]} linearizable");
    }

    // Arbitrary outputs over a tiny value set, so both verdicts occur; clients issue operations
    // one after another with random gaps, so windows overlap in every way.
    private static List<KvOperation> RandomHistory(Random random, int clients, int count, int unknownIn20)
    {
        var history = new List<KvOperation>(count);
        var slots = new RandomSlots(random, clients, unknownIn20);
        for (var n = 0; n < count; n++)
        {
            var (client, invokedAt, completedAt, outcome) = slots.Next();
            var kind = (KvOpKind)random.Next(3);
            history.Add(new KvOperation(
                client,
                kind,
                "k",
                kind == KvOpKind.Get ? null : s_values[random.Next(1, 3)],
                kind == KvOpKind.Cas ? s_values[random.Next(3)] : null,
                invokedAt,
                completedAt,
                outcome,
                kind == KvOpKind.Get ? s_values[random.Next(3)] : null,
                kind == KvOpKind.Cas && random.Next(2) == 0));
        }

        return history;
    }
}
