using Raft.Orleans.Runtime;

namespace Orleans.Configuration;

/// <summary>
/// How a silo hosts its Raft replicas (<c>siloBuilder.AddRaft(...)</c>). Every silo of the
/// cluster is configured alike: the same <see cref="Members"/>, <see cref="Groups"/> and
/// <see cref="NodeIds"/>. Checked at silo start by <see cref="RaftOptionsValidator"/>.
/// </summary>
public sealed class RaftOptions
{
    /// <summary>Default <see cref="Groups"/>.</summary>
    public const int DefaultGroups = 16;

    /// <summary>Default <see cref="LogSegmentSize"/>: 1 MiB (each group preallocates one segment ahead).</summary>
    public const long DefaultLogSegmentSize = 1L << 20;

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

    /// <summary>
    /// The root of the silo's durable state. Each silo keeps its replicas under
    /// <c>{DataDirectory}/{silo name}/group-{id}</c>, so several silos of one machine may share
    /// the root. A silo restarted under the same name finds its logs again. Required.
    /// </summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>
    /// The silo names that replicate every group (manual membership: every group is founded on
    /// exactly these silos, whose replicas bootstrap with them as voters). Three or five for
    /// fault tolerance; a silo not listed hosts no replica but can still reach the groups.
    /// </summary>
    public List<string> Members { get; set; } = [];

    /// <summary>
    /// Node ids by silo name, for silos that need a configured id. A silo not listed gets
    /// <see cref="RaftNodeIds.FromSiloName"/>: a stable hash of its name, never its
    /// <c>SiloAddress</c>, whose generation changes on every restart.
    /// </summary>
    public Dictionary<string, ulong> NodeIds { get; set; } = [];

    /// <summary>How many Raft groups grain state is spread over (groups 1…<see cref="Groups"/>, by key hash).</summary>
    public int Groups { get; set; } = DefaultGroups;

    /// <summary>Size of each log segment file, preallocated with zeros (a multiple of 4 KiB, at least 64 KiB).</summary>
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

    /// <summary>The node id of the silo named <paramref name="siloName"/>: configured in <see cref="NodeIds"/>, or derived from the name.</summary>
    public ulong NodeIdOf(string siloName)
    {
        ArgumentNullException.ThrowIfNull(siloName);
        return NodeIds.TryGetValue(siloName, out var id) ? id : RaftNodeIds.FromSiloName(siloName);
    }
}
