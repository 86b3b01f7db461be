using Raft.Actors.Testing.Linearizability;
using Raft.Actors.Testing.Services;
using Xunit;

namespace Raft.Actors.Tests.Linearizability;

/// <summary>
/// The services workload checks the KV service's histories by translating each operation
/// (put-if-absent, delete, get-and-put, compare-and-put) into register operations
/// (<see cref="ServiceKvOperation.ToRegisterOperation"/>). These tests hold the translation to
/// the definition: a brute-force search over the service's own sequential specification,
/// written here independently, on histories small enough to try every order.
/// </summary>
public class ServiceKvMappingAgreesWithBruteForceTests
{
    private static readonly string?[] s_values = [null, "a", "b"];

    [Theory]
    [InlineData(1, 2, 6, 3)]
    [InlineData(2, 3, 7, 3)]
    [InlineData(3, 4, 8, 8)]
    [InlineData(4, 3, 8, 10)]
    public void Translated_histories_get_the_verdict_of_the_service_specification(int seed, int clients, int maxOps, int unknownIn20)
    {
        var random = new Random(seed);
        var verdicts = new int[2];
        var deleteBlind = 0;
        for (var round = 0; round < 2000; round++)
        {
            var history = RandomHistory(random, clients, random.Next(1, maxOps + 1), unknownIn20);

            var strict = BruteForce(history, checkDeleteFoundAValue: true);
            var relaxed = BruteForce(history, checkDeleteFoundAValue: false);
            var result = LinearizabilityChecker.Check([.. history.Select(op => op.ToRegisterOperation())]);

            // Exactly the service's verdict, but for the one documented loss: a delete that
            // answered "it existed" is not held to having found a value.
            Assert.False(result.TimedOut);
            Assert.True(
                relaxed == result.IsLinearizable,
                $"seed {seed}, round {round}: the specification says {relaxed}, the checker {result.IsLinearizable}\n"
                + string.Join("\n", history) + "\n" + result.Explanation);
            if (strict != relaxed)
            {
                deleteBlind++;
            }

            verdicts[strict ? 1 : 0]++;
        }

        Assert.True(verdicts[0] > 200 && verdicts[1] > 200, $"seed {seed}: {verdicts[0]} violations, {verdicts[1]} linearizable");
        Assert.True(deleteBlind < verdicts[0] / 10, $"seed {seed}: the checker missed {deleteBlind} of {verdicts[0]} violations");
    }

    private static bool BruteForce(List<ServiceKvOperation> history, bool checkDeleteFoundAValue) =>
        BruteForceLinearizability.IsLinearizable<ServiceKvOperation, string?>(
            history,
            op => (op.Outcome, op.InvokedAt, op.CompletedAt),
            (ServiceKvOperation op, string? register, out string? next) => Apply(op, register, out next, checkDeleteFoundAValue),
            initial: null);

    // The KV service on one key, as IReplicatedKv documents it.
    private static bool Apply(ServiceKvOperation op, string? register, out string? next, bool checkDeleteFoundAValue)
    {
        next = register;
        var known = op.Outcome == OpOutcome.Ok;
        switch (op.Kind)
        {
            case ServiceKvKind.Get:
                return !known || op.Output == register;
            case ServiceKvKind.Put:
                next = op.Value;
                return true;
            case ServiceKvKind.CompareAndPut:
                var swaps = register == op.Expected;
                next = swaps ? op.Value : register;
                return !known || swaps == op.Succeeded;
            case ServiceKvKind.PutIfAbsent:
                next = register ?? op.Value;
                return !known || op.Output == register;
            case ServiceKvKind.Delete:
                next = null;
                return !known || (op.Succeeded ? register is not null || !checkDeleteFoundAValue : register is null);
            default:
                next = op.Value;
                return !known || op.Output == register;
        }
    }

    private static List<ServiceKvOperation> RandomHistory(Random random, int clients, int count, int unknownIn20)
    {
        var history = new List<ServiceKvOperation>(count);
        var slots = new RandomSlots(random, clients, unknownIn20);
        for (var n = 0; n < count; n++)
        {
            var (client, invokedAt, completedAt, outcome) = slots.Next();
            var kind = (ServiceKvKind)random.Next(6);
            history.Add(new ServiceKvOperation(
                client,
                kind,
                "k",
                kind is ServiceKvKind.Get or ServiceKvKind.Delete ? null : s_values[random.Next(1, 3)],
                kind == ServiceKvKind.CompareAndPut ? s_values[random.Next(3)] : null,
                invokedAt,
                completedAt,
                outcome,
                kind is ServiceKvKind.Get or ServiceKvKind.PutIfAbsent or ServiceKvKind.GetAndPut ? s_values[random.Next(3)] : null,
                random.Next(2) == 0));
        }

        return history;
    }
}
