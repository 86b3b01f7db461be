using Raft.Actors.Consensus;

namespace Raft.Actors.Testing.Simulation;

/// <summary>What one simulated run does. The seed decides every other choice.</summary>
public sealed record SimulationOptions
{
    /// <summary>The seed that drives every random choice of the run.</summary>
    public ulong Seed { get; init; }

    /// <summary>Number of replicas (3 or 5 are typical).</summary>
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

    /// <summary>Deliberately wrong rule to switch on, proving the checkers can fail. Tests and the runner only.</summary>
    public string? PlantedBug { get; init; }

    internal PlantedBug ParsedPlantedBug => PlantedBug switch
    {
        null or "" => Consensus.PlantedBug.None,
        "prior-term-commit" => Consensus.PlantedBug.PriorTermCommit,
        "vote-before-persist" => Consensus.PlantedBug.VoteBeforePersist,
        "stale-read" => Consensus.PlantedBug.StaleRead,
        _ => throw new ArgumentException($"Unknown planted bug '{PlantedBug}'. Known: {string.Join(", ", KnownPlantedBugs)}."),
    };

    /// <summary>Names accepted by <see cref="PlantedBug"/>.</summary>
    public static IReadOnlyList<string> KnownPlantedBugs { get; } = ["prior-term-commit", "vote-before-persist", "stale-read"];
}
