using System.Diagnostics;
using System.Runtime.InteropServices;
using Raft.Actors.Testing.Linearizability;
using Xunit;
using Xunit.Abstractions;

namespace Raft.Actors.Tests.Linearizability;

public class RandomizedLinearizabilityTests(ITestOutputHelper output)
{
    // Generous: these histories take milliseconds. The budget only turns a search bug that
    // explodes into a failed test instead of a hung run.
    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(30);

    public static TheoryData<int> Seeds()
    {
        var seeds = new TheoryData<int>();
        for (var seed = 1; seed <= 30; seed++)
        {
            seeds.Add(seed);
        }

        return seeds;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Histories_of_an_atomic_register_are_linearizable_in_any_list_order(int seed)
    {
        var history = Simulation(seed).Generate(300);
        new Random(seed).Shuffle(CollectionsMarshal.AsSpan(history));

        var result = LinearizabilityChecker.Check(history, s_budget);

        Assert.False(result.TimedOut, $"seed {seed}: {result.Explanation}");
        Assert.True(result.IsLinearizable, $"seed {seed}: {result.Explanation}");
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Stale_read_planted_in_an_atomic_register_history_is_detected(int seed)
    {
        var simulation = Simulation(seed);
        var history = simulation.Generate(300);
        var mutated = simulation.WithStaleRead(history);
        Assert.True(mutated >= 0, $"seed {seed}: no Get could be given a stale value");

        var result = LinearizabilityChecker.Check(history, s_budget);

        Assert.False(result.TimedOut, $"seed {seed}: {result.Explanation}");
        Assert.False(result.IsLinearizable, $"seed {seed}: stale read planted at #{mutated} was accepted: {history[mutated]}");
        Assert.Equal(history[mutated].Key, result.Key);
    }

    [Fact]
    public void Two_thousand_operations_from_five_clients_on_one_key_check_correctly()
    {
        const int seed = 2000;
        var simulation = new AtomicRegisterSimulation(seed) { Clients = 5, Keys = 1, UnknownRate = 0.02, FailedRate = 0.02 };
        var history = simulation.Generate(2000);

        var watch = Stopwatch.StartNew();
        var result = LinearizabilityChecker.Check(history, s_budget);
        output.WriteLine($"linearizable history: {watch.Elapsed.TotalMilliseconds:F1} ms");

        Assert.False(result.TimedOut, $"seed {seed}: {result.Explanation}");
        Assert.True(result.IsLinearizable, $"seed {seed}: {result.Explanation}");

        var mutated = simulation.WithStaleRead(history);
        watch.Restart();
        result = LinearizabilityChecker.Check(history, s_budget);
        output.WriteLine($"history with a stale read at #{mutated}: {watch.Elapsed.TotalMilliseconds:F1} ms");
        output.WriteLine(result.Explanation);

        Assert.False(result.TimedOut, $"seed {seed}: {result.Explanation}");
        Assert.False(result.IsLinearizable, $"seed {seed}: stale read planted at #{mutated} was accepted");
    }

    // Seeds vary the shape as well as the content: 2–6 clients, 1–3 keys, and a few unknown
    // and failed outcomes in most histories.
    private static AtomicRegisterSimulation Simulation(int seed) => new(seed)
    {
        Clients = 2 + (seed % 5),
        Keys = 1 + (seed % 3),
        UnknownRate = seed % 4 == 0 ? 0 : 0.03,
        FailedRate = seed % 3 == 0 ? 0 : 0.03,
    };
}
