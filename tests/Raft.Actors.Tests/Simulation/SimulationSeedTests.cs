using Raft.Actors.Testing.Simulation;
using Xunit;

namespace Raft.Actors.Tests.Simulation;

/// <summary>
/// A fixed set of seeds run inside the test suite: 400 seeds of 3 nodes and 100 of 5, each
/// with partitions, loss, duplication, crashes that lose unsynced writes, pauses and skew.
/// The runner (tests/Raft.Simulation) explores thousands more.
/// </summary>
public sealed class SimulationSeedTests
{
    public static TheoryData<int, int> Blocks()
    {
        var blocks = new TheoryData<int, int>();
        for (var block = 0; block < 8; block++)
        {
            blocks.Add(3, block);
        }

        for (var block = 0; block < 2; block++)
        {
            blocks.Add(5, block);
        }

        return blocks;
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Fifty_seeded_fault_runs_keep_every_invariant(int nodes, int block)
    {
        var failures = new List<string>();
        for (var k = 0; k < 50; k++)
        {
            var seed = (ulong)(1 + block * 50 + k);
            var result = new RaftSimulation(new SimulationOptions { Seed = seed, Nodes = nodes }).Run();
            if (!result.Passed)
            {
                failures.Add($"{result} — replay: --seeds 1 --start {seed} --nodes {nodes}");
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    /// <summary>Seeds that once failed, kept so they keep passing for the right reason.</summary>
    [Theory]
    [InlineData(2184UL, 3)] // a leader of term 6 counted its votes after term 7 committed an entry: not a completeness violation
    [InlineData(14UL, 3)] // judged converged while a member's snapshot install was still being written: states differed
    [InlineData(69UL, 3)] // same
    public void Seeds_that_once_failed_keep_every_invariant(ulong seed, int nodes)
    {
        var result = new RaftSimulation(new SimulationOptions { Seed = seed, Nodes = nodes }).Run();

        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public void A_seed_replays_exactly()
    {
        var first = new RaftSimulation(new SimulationOptions { Seed = 77 });
        var second = new RaftSimulation(new SimulationOptions { Seed = 77 });

        var a = first.Run();
        var b = second.Run();

        Assert.Equal(a.ToString(), b.ToString());
        Assert.Equal(first.History, second.History);
        Assert.True(a.Operations > 50, $"the run should carry client traffic: {a}");
    }

    [Fact]
    public void A_run_without_faults_elects_once_and_acknowledges_every_operation()
    {
        var result = new RaftSimulation(new SimulationOptions { Seed = 5, Faults = false }).Run();

        Assert.True(result.Passed, result.ToString());
        Assert.Equal(1, result.Elections);
        Assert.Equal(result.Operations, result.Acknowledged);
    }

    [Theory]
    [InlineData("prior-term-commit")]
    [InlineData("vote-before-persist")]
    [InlineData("stale-read")]
    public void Each_planted_bug_is_caught_within_a_thousand_seeds(string plantedBug)
    {
        // Proves the checkers can fail: a deliberately wrong rule must break an invariant.
        for (ulong seed = 1; seed <= 1000; seed++)
        {
            var result = new RaftSimulation(new SimulationOptions { Seed = seed, PlantedBug = plantedBug }).Run();
            if (!result.Passed)
            {
                return;
            }
        }

        Assert.Fail($"Planted bug '{plantedBug}' broke no invariant in 1,000 seeds: the checkers are blind to it.");
    }

    [Fact]
    public void An_unknown_planted_bug_name_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new RaftSimulation(new SimulationOptions { PlantedBug = "no-such-bug" }));

        Assert.Contains("prior-term-commit", error.Message);
    }
}
