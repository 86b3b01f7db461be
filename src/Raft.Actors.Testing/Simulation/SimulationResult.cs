namespace Raft.Actors.Testing.Simulation;

/// <summary>What a simulated run found.</summary>
public sealed record SimulationResult(
    ulong Seed,
    IReadOnlyList<string> Violations,
    int Operations,
    int Acknowledged,
    int Unknown,
    int Elections,
    int Crashes,
    int Partitions,
    int SnapshotsInstalled,
    long VirtualMilliseconds)
{
    /// <summary>True when no invariant was broken.</summary>
    public bool Passed => Violations.Count == 0;

    /// <summary>The first broken invariant, or null.</summary>
    public string? FirstViolation => Violations.Count > 0 ? Violations[0] : null;

    /// <inheritdoc />
    public override string ToString() =>
        $"seed {Seed}: {(Passed ? "ok" : "VIOLATION " + FirstViolation)} ({Operations} ops, {Acknowledged} acknowledged, {Unknown} unknown, {Elections} leaders, {Crashes} crashes, {Partitions} partitions, {SnapshotsInstalled} snapshots installed, {VirtualMilliseconds} virtual ms)";
}
