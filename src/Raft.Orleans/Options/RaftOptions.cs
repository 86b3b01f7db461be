using Raft.Orleans.Runtime;

namespace Orleans.Configuration;

/// <summary>
/// How a silo hosts its Raft replicas (<c>siloBuilder.AddRaft(...)</c>). Every silo of the
/// cluster is configured alike: the same <see cref="Membership"/>, <see cref="Members"/>,
/// <see cref="ReplicationFactor"/>, <see cref="Groups"/>, <see cref="Services"/> and
/// <see cref="NodeIds"/>. Checked at silo start by <see cref="RaftOptionsValidator"/>.
/// </summary>
public sealed class RaftOptions
{
    /// <summary>Default <see cref="Groups"/>.</summary>
    public const int DefaultGroups = 16;

    /// <summary>Default <see cref="LogSegmentSize"/>: 16 MiB (the silo's shared log preallocates one segment ahead).</summary>
    public const long DefaultLogSegmentSize = 16L << 20;

    /// <summary>Default <see cref="SnapshotEveryEntries"/>.</summary>
    public const ulong DefaultSnapshotEveryEntries = 10_000;

    /// <summary>Default <see cref="TickInterval"/>: 50 ms (an election timeout of 0.5–1 s with the default <see cref="ElectionTicks"/>).</summary>
    public static readonly TimeSpan DefaultTickInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Default <see cref="ElectionTicks"/>.</summary>
    public const int DefaultElectionTicks = 10;

    /// <summary>Default <see cref="ProposalTimeout"/>.</summary>
    public static readonly TimeSpan DefaultProposalTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Default <see cref="RequestTimeout"/>.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Default <see cref="AttemptTimeout"/>.</summary>
    public static readonly TimeSpan DefaultAttemptTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Default <see cref="ReplicationFactor"/>.</summary>
    public const int DefaultReplicationFactor = 3;

    /// <summary>Default <see cref="DeadSiloGracePeriod"/>.</summary>
    public static readonly TimeSpan DefaultDeadSiloGracePeriod = TimeSpan.FromMinutes(1);

    /// <summary>Default <see cref="MembershipCheckInterval"/>.</summary>
    public static readonly TimeSpan DefaultMembershipCheckInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The group of the replicated services (<c>siloBuilder.AddRaftServices()</c>): a group id
    /// of its own, above every grain storage group.
    /// </summary>
    public const ulong ServicesGroupId = 1_000_000;

    /// <summary>
    /// The root of the silo's durable state. Each silo keeps the logs of all its replicas in one
    /// write-ahead log under <c>{DataDirectory}/{silo name}/log</c> and each replica's snapshots
    /// under <c>{DataDirectory}/{silo name}/group-{id}</c>, so several silos of one machine may
    /// share the root. A silo restarted under the same name finds its logs again. Required.
    /// </summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>
    /// Who decides which silos replicate each group: <see cref="RaftMembershipMode.Manual"/>
    /// (the default: every group stays on <see cref="Members"/> until changed with the admin API)
    /// or <see cref="RaftMembershipMode.Automatic"/> (the groups follow the Orleans cluster).
    /// </summary>
    public RaftMembershipMode Membership { get; set; } = RaftMembershipMode.Manual;

    /// <summary>
    /// The silos every group is founded on. In <see cref="RaftMembershipMode.Manual"/> mode they
    /// replicate every group (three or five for fault tolerance); a silo not listed hosts no
    /// replica but can still reach the groups. In <see cref="RaftMembershipMode.Automatic"/> mode
    /// they are the founders: each group starts on <see cref="ReplicationFactor"/> of them (all of
    /// them when fewer are listed), spread evenly, and moves as silos join and die.
    /// </summary>
    public List<string> Members { get; set; } = [];

    /// <summary>
    /// How many voters each group keeps in <see cref="RaftMembershipMode.Automatic"/> mode: 3 or
    /// 5, spread over the active silos (fewer while fewer silos are active).
    /// </summary>
    public int ReplicationFactor { get; set; } = DefaultReplicationFactor;

    /// <summary>
    /// In <see cref="RaftMembershipMode.Automatic"/> mode, how long a silo may be down (declared
    /// dead, or gone from the active silos) before its replicas are replaced on other silos. A silo
    /// back within this time keeps its replicas.
    /// </summary>
    public TimeSpan DeadSiloGracePeriod { get; set; } = DefaultDeadSiloGracePeriod;

    /// <summary>In <see cref="RaftMembershipMode.Automatic"/> mode, how often each silo reviews the groups its replicas lead (also on every Orleans membership change).</summary>
    public TimeSpan MembershipCheckInterval { get; set; } = DefaultMembershipCheckInterval;

    /// <summary>
    /// Hosts the replicated services group (<see cref="ServicesGroupId"/>: key-value store, locks,
    /// sequences) next to the grain storage groups. Set by <c>siloBuilder.AddRaftServices()</c>.
    /// </summary>
    public bool Services { get; set; }

    /// <summary>
    /// Node ids by silo name, for silos that need a configured id. A silo not listed gets
    /// <see cref="RaftNodeIds.FromSiloName"/>: a stable hash of its name, never its
    /// <c>SiloAddress</c>, whose generation changes on every restart.
    /// </summary>
    public Dictionary<string, ulong> NodeIds { get; set; } = [];

    /// <summary>How many Raft groups grain state is spread over (groups 1…<see cref="Groups"/>, by key hash).</summary>
    public int Groups { get; set; } = DefaultGroups;

    /// <summary>Size of each segment file of the silo's shared log (all its groups' logs), preallocated with zeros (a multiple of 4 KiB, at least 64 KiB).</summary>
    public long LogSegmentSize { get; set; } = DefaultLogSegmentSize;

    /// <summary>A group snapshots its state (and compacts its log) once this many entries were applied since the last snapshot.</summary>
    public ulong SnapshotEveryEntries { get; set; } = DefaultSnapshotEveryEntries;

    /// <summary>Length of one Raft tick, for every group of the silo.</summary>
    public TimeSpan TickInterval { get; set; } = DefaultTickInterval;

    /// <summary>A follower that hears no leader for a random [1, 2) × this many ticks starts an election.</summary>
    public int ElectionTicks { get; set; } = DefaultElectionTicks;

    /// <summary>How long a replica works on one proposal or read before it reports the outcome unknown.</summary>
    public TimeSpan ProposalTimeout { get; set; } = DefaultProposalTimeout;

    /// <summary>How long a client request (a grain storage read or write) may take, retries and leader changes included.</summary>
    public TimeSpan RequestTimeout { get; set; } = DefaultRequestTimeout;

    /// <summary>How long one attempt at one silo may take before the client tries another (with the same proposal id).</summary>
    public TimeSpan AttemptTimeout { get; set; } = DefaultAttemptTimeout;

    /// <summary>Every group the silos host: the grain storage groups 1…<see cref="Groups"/>, then the services group when <see cref="Services"/> is set.</summary>
    public IReadOnlyList<ulong> AllGroups() =>
        [.. Enumerable.Range(1, Groups).Select(g => (ulong)g), .. Services ? [ServicesGroupId] : Array.Empty<ulong>()];

    /// <summary>The node id of the silo named <paramref name="siloName"/>: configured in <see cref="NodeIds"/>, or derived from the name.</summary>
    public ulong NodeIdOf(string siloName)
    {
        ArgumentNullException.ThrowIfNull(siloName);
        return NodeIds.TryGetValue(siloName, out var id) ? id : RaftNodeIds.FromSiloName(siloName);
    }
}
