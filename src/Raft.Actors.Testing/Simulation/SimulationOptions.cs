using Raft.Actors.Consensus;
using Raft.Actors.Services;

namespace Raft.Actors.Testing.Simulation;

/// <summary>What one simulated run does. The seed decides every other choice.</summary>
public sealed record SimulationOptions
{
    /// <summary>The seed that drives every random choice of the run.</summary>
    public ulong Seed { get; init; }

    /// <summary>Number of replicas (3 or 5 are typical); with the membership workload, the founding voters.</summary>
    public int Nodes { get; init; } = 3;

    /// <summary>Virtual time with faults and client traffic, in milliseconds.</summary>
    public int FaultMilliseconds { get; init; } = 6_000;

    /// <summary>Virtual time allowed, after healing everything, for the cluster to converge.</summary>
    public int ConvergeMilliseconds { get; init; } = 10_000;

    /// <summary>Concurrent simulated clients.</summary>
    public int Clients { get; init; } = 4;

    /// <summary>Number of distinct keys the clients use.</summary>
    public int Keys { get; init; } = 3;

    /// <summary>Inject faults (partitions, loss, duplication, crashes, pauses, skew). Off gives a clean run.</summary>
    public bool Faults { get; init; } = true;

    /// <summary>
    /// What the run exercises besides client traffic: <c>default</c> (a fixed group under faults)
    /// or <c>membership</c> (members added, promoted, removed, replaced and wiped, leadership
    /// transferred, lease reads under bounded clock skew) or <c>services</c> (the replicas run the
    /// replicated services: KV, sequences, leased locks with fenced writes; their histories are
    /// checked). See <see cref="KnownWorkloads"/>.
    /// </summary>
    public string Workload { get; init; } = "default";

    /// <summary>
    /// Serve reads from the leader's lease, with clock skew kept inside the drift bound and
    /// paused nodes catching up the ticks they missed. Null: on for the membership workload only.
    /// </summary>
    public bool? LeaseReads { get; init; }

    /// <summary>
    /// Membership workload only: play this targeted scenario in the run (<c>one-at-a-time</c>:
    /// Ongaro's uncommitted change across a leader change; <c>lease</c>: a read from a cut-off
    /// leader racing a write on its successor), and no random membership operations. Null: each
    /// seed picks at most one, between random operations. See <see cref="KnownScenarios"/>.
    /// </summary>
    public string? Scenario { get; init; }

    /// <summary>
    /// Deliberately wrong rule to switch on, proving the checkers can fail. Tests and the runner
    /// only. <c>stale-fence</c> and <c>unsnapshotted-sequence</c> are rules of the service state
    /// machine and need the services workload.
    /// </summary>
    public string? PlantedBug { get; init; }

    internal PlantedBug ParsedPlantedBug => PlantedBug switch
    {
        null or "" => Consensus.PlantedBug.None,
        "stale-fence" or "unsnapshotted-sequence" when !ServicesWorkload => throw new ArgumentException($"Planted bug '{PlantedBug}' needs the services workload."),
        "stale-fence" or "unsnapshotted-sequence" => Consensus.PlantedBug.None,
        "prior-term-commit" => Consensus.PlantedBug.PriorTermCommit,
        "vote-before-persist" => Consensus.PlantedBug.VoteBeforePersist,
        "stale-read" => Consensus.PlantedBug.StaleRead,
        "unguarded-confchange" => Consensus.PlantedBug.UnguardedConfChange,
        "lease-no-drift" => Consensus.PlantedBug.LeaseNoDrift,
        _ => throw new ArgumentException($"Unknown planted bug '{PlantedBug}'. Known: {string.Join(", ", KnownPlantedBugs)}."),
    };

    internal ServicePlantedBug ParsedServicePlantedBug => PlantedBug switch
    {
        "stale-fence" => ServicePlantedBug.StaleFence,
        "unsnapshotted-sequence" => ServicePlantedBug.SequencesNotSnapshotted,
        _ => ServicePlantedBug.None,
    };

    internal bool MembershipWorkload => Workload switch
    {
        "default" or "services" => false,
        "membership" => true,
        _ => throw new ArgumentException($"Unknown workload '{Workload}'. Known: {string.Join(", ", KnownWorkloads)}."),
    };

    internal bool ServicesWorkload => MembershipWorkload is false && Workload == "services";

    internal bool ParsedLeaseReads => LeaseReads ?? MembershipWorkload;

    internal string? ParsedScenario => Scenario switch
    {
        null or "" => null,
        "one-at-a-time" or "lease" when MembershipWorkload => Scenario,
        "one-at-a-time" or "lease" => throw new ArgumentException($"Scenario '{Scenario}' needs the membership workload."),
        _ => throw new ArgumentException($"Unknown scenario '{Scenario}'. Known: {string.Join(", ", KnownScenarios)}."),
    };

    /// <summary>Names accepted by <see cref="PlantedBug"/>.</summary>
    public static IReadOnlyList<string> KnownPlantedBugs { get; } =
        ["prior-term-commit", "vote-before-persist", "stale-read", "unguarded-confchange", "lease-no-drift", "stale-fence", "unsnapshotted-sequence"];

    /// <summary>Names accepted by <see cref="Scenario"/>.</summary>
    public static IReadOnlyList<string> KnownScenarios { get; } = ["one-at-a-time", "lease"];

    /// <summary>Names accepted by <see cref="Workload"/>.</summary>
    public static IReadOnlyList<string> KnownWorkloads { get; } = ["default", "membership", "services"];
}
