using Raft.Actors.Testing.Simulation;
using Xunit;
using Xunit.Abstractions;

namespace Raft.Actors.Tests.Simulation;

/// <summary>
/// The services workload inside the test suite: the replicas run the real ServiceStateMachine
/// under faults (partitions, loss, crashes that lose unsynced writes, snapshots), the clients
/// use the KV store, sequences and leased locks with fenced writes, and the histories are
/// checked. The runner (tests/Raft.Simulation --workload services) explores thousands more.
/// </summary>
public sealed class ServicesSimulationTests(ITestOutputHelper output)
{
    private static SimulationResult Run(ulong seed, int nodes = 3, string? plantedBug = null) =>
        new RaftSimulation(new SimulationOptions { Seed = seed, Nodes = nodes, Workload = "services", PlantedBug = plantedBug }).Run();

    [Theory]
    [InlineData(3, 0, 100)]
    [InlineData(3, 1, 100)]
    [InlineData(5, 0, 50)]
    public void Services_seeds_keep_every_invariant_and_exercise_every_service(int nodes, int block, int count)
    {
        var results = new List<SimulationResult>();
        for (var k = 0; k < count; k++)
        {
            results.Add(Run((ulong)(1 + (block * count) + k), nodes));
        }

        var failures = results.Where(r => !r.Passed).Select(r => $"{r} — replay: --seeds 1 --start {r.Seed} --nodes {nodes} --workload services");
        Assert.True(!failures.Any(), string.Join(Environment.NewLine, failures));

        // Not a quiet run that passes for want of trying: ranges were handed out, locks changed
        // hands, stale holders were refused, outcomes went unknown, and snapshots were installed.
        Assert.True(results.Sum(r => r.SequenceRanges) > 20 * count, $"only {results.Sum(r => r.SequenceRanges)} sequence ranges");
        Assert.True(results.Sum(r => r.LockGrants) > 5 * count, $"only {results.Sum(r => r.LockGrants)} lock grants");
        Assert.True(results.Sum(r => r.FencedWritesAccepted) > 20 * count, $"only {results.Sum(r => r.FencedWritesAccepted)} fenced writes accepted");
        Assert.True(results.Count(r => r.FencedWritesRefused > 0) > count / 2, "stale holders were rarely refused");
        Assert.True(results.Count(r => r.Unknown > 0) > count / 4, "outcomes were rarely unknown");
        Assert.True(results.Count(r => r.SnapshotsInstalled > 0) > count / 4, "snapshots were rarely installed");
    }

    [Theory]
    [InlineData("stale-fence")]
    [InlineData("unsnapshotted-sequence")]
    public void Each_services_planted_bug_is_caught_within_two_hundred_seeds(string plantedBug)
    {
        // Proves the checkers can fail: a deliberately wrong rule in the service state machine
        // must break an invariant.
        for (ulong seed = 1; seed <= 200; seed++)
        {
            var result = Run(seed, plantedBug: plantedBug);
            if (!result.Passed)
            {
                output.WriteLine($"'{plantedBug}' caught by seed {seed}: {result.FirstViolation}");
                return;
            }
        }

        Assert.Fail($"Planted bug '{plantedBug}' broke no invariant in 200 services seeds: the checkers are blind to it.");
    }

    [Fact]
    public void A_stale_fence_is_caught_by_the_lock_checker()
    {
        var caught = Enumerable.Range(1, 20).Select(seed => Run((ulong)seed, plantedBug: "stale-fence")).Where(r => !r.Passed).ToList();

        Assert.True(caught.Count >= 5, $"caught in only {caught.Count} of 20 seeds");
        Assert.All(caught, r => Assert.Contains("lock safety: lock 'lock", r.FirstViolation));
    }

    /// <summary>
    /// Seeds where every replica lost the sequences alike (all restored from snapshots without
    /// them), so their answers agree and only the clients' ranges show the damage.
    /// </summary>
    [Theory]
    [InlineData(185UL)]
    [InlineData(69UL)]
    public void Sequences_left_out_of_snapshots_are_caught_by_the_sequence_checker(ulong seed)
    {
        var result = Run(seed, plantedBug: "unsnapshotted-sequence");

        Assert.False(result.Passed);
        Assert.Contains("sequence safety", result.FirstViolation);
        Assert.Contains("handed out twice", result.FirstViolation);
    }

    [Fact]
    public void Services_planted_bugs_need_the_services_workload()
    {
        var error = Assert.Throws<ArgumentException>(() => new RaftSimulation(new SimulationOptions { PlantedBug = "stale-fence" }));

        Assert.Contains("services workload", error.Message);
    }

    [Fact]
    public void A_services_seed_replays_exactly()
    {
        var first = new RaftSimulation(new SimulationOptions { Seed = 42, Workload = "services" });
        var second = new RaftSimulation(new SimulationOptions { Seed = 42, Workload = "services" });

        Assert.Equal(first.Run().ToString(), second.Run().ToString());
        Assert.Equal(first.History, second.History);
        Assert.NotEmpty(first.History);
    }
}
