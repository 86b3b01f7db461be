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
    /// <summary>Membership changes the leaders accepted (membership workload).</summary>
    public int ConfChanges { get; init; }

    /// <summary>Leadership transfers the leaders accepted (membership workload).</summary>
    public int Transfers { get; init; }

    /// <summary>Reads a leader answered from its lease, without a quorum round.</summary>
    public int LeaseReads { get; init; }

    /// <summary>Nodes that came back with a wiped disk and were refused by the group.</summary>
    public int Refused { get; init; }

    /// <summary>The targeted scenario the run played and how far it got, or null.</summary>
    public string? Scenario { get; init; }

    /// <summary>Services workload: sequence ranges handed out and acknowledged.</summary>
    public int SequenceRanges { get; init; }

    /// <summary>Services workload: lock acquisitions the replicas granted (new or re-entered).</summary>
    public int LockGrants { get; init; }

    /// <summary>Services workload: fenced writes the replicas accepted.</summary>
    public int FencedWritesAccepted { get; init; }

    /// <summary>Services workload: fenced writes the replicas refused (a stale token).</summary>
    public int FencedWritesRefused { get; init; }

    /// <summary>True when no invariant was broken.</summary>
    public bool Passed => Violations.Count == 0;

    /// <summary>The first broken invariant, or null.</summary>
    public string? FirstViolation => Violations.Count > 0 ? Violations[0] : null;

    /// <inheritdoc />
    public override string ToString() =>
        $"seed {Seed}: {(Passed ? "ok" : "VIOLATION " + FirstViolation)} ({Operations} ops, {Acknowledged} acknowledged, {Unknown} unknown, {Elections} leaders, {Crashes} crashes, {Partitions} partitions, {SnapshotsInstalled} snapshots installed, {VirtualMilliseconds} virtual ms{Membership}{Services})";

    private string Services =>
        SequenceRanges + LockGrants + FencedWritesAccepted + FencedWritesRefused == 0 ? "" :
        $"; {SequenceRanges} sequence ranges, {LockGrants} lock grants, {FencedWritesAccepted} fenced writes accepted, {FencedWritesRefused} refused";

    private string Membership =>
        ConfChanges + Transfers + LeaseReads + Refused == 0 && Scenario is null ? "" :
        $"; {ConfChanges} conf changes, {Transfers} transfers, {LeaseReads} lease reads, {Refused} refused{(Scenario is null ? "" : ", scenario " + Scenario)}";
}
