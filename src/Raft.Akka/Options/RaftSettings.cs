using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using Raft.Actors.Storage;

namespace Raft.Akka;

/// <summary>
/// How an actor system hosts its Raft replicas: the <c>akka.raft</c> section of its
/// configuration (see <c>reference.conf</c>), or set in code and turned into that section by
/// <c>WithRaft(...)</c>. Every node of a cluster is configured alike except for
/// <see cref="NodeId"/>. <see cref="Validate"/> runs when the extension starts.
/// </summary>
public sealed class RaftSettings
{
    /// <summary>The configuration section these settings live in.</summary>
    public const string Section = "akka.raft";

    /// <summary>Names the Raft cluster; frames and requests of another cluster are refused.</summary>
    public string ClusterId { get; set; } = "raft";

    /// <summary>This actor system's node id (one of the keys of <see cref="Members"/>), stable across restarts.</summary>
    public ulong NodeId { get; set; }

    /// <summary>Root of the node's durable state: <c>{DataDirectory}/node-{NodeId}/group-{g}/</c>.</summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>How many groups (1…<see cref="Groups"/>) the services, the journal and the lease are spread over.</summary>
    public int Groups { get; set; } = 4;

    /// <summary>Manual membership: node id → address of the actor system that is that node (<c>akka.tcp://system@host:port</c>).</summary>
    public Dictionary<ulong, string> Members { get; set; } = [];

    /// <summary>Length of one Raft tick.</summary>
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>A follower that hears no leader for a random [1, 2) × this many ticks starts an election.</summary>
    public int ElectionTicks { get; set; } = 10;

    /// <summary>How long a replica works on one proposal or read before it reports the outcome unknown.</summary>
    public TimeSpan ProposalTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a client request may take, retries and leader changes included.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one attempt at one node may take before the client tries another.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Size of each log segment file (a multiple of 4096 in the range <see cref="FileLogStoreOptions"/> allows).</summary>
    public long LogSegmentSize { get; set; } = 1L << 20;

    /// <summary>A group snapshots (and compacts its log) after this many applied entries.</summary>
    public ulong SnapshotEveryEntries { get; set; } = 10_000;

    /// <summary>The group ids, 1…<see cref="Groups"/>.</summary>
    public IReadOnlyList<ulong> GroupIds => [.. Enumerable.Range(1, Groups).Select(g => (ulong)g)];

    /// <summary>Where this node keeps its groups: <c>{DataDirectory}/node-{NodeId}</c>.</summary>
    public string NodeDirectory => Path.Combine(Path.GetFullPath(DataDirectory), $"node-{NodeId}");

    /// <summary>Where this node keeps <paramref name="group"/>.</summary>
    public string GroupDirectory(ulong group) => Path.Combine(NodeDirectory, $"group-{group}");

    /// <summary>Reads the <c>akka.raft</c> section of <paramref name="config"/> (with the defaults of <c>reference.conf</c> as fallback).</summary>
    /// <exception cref="ConfigurationException">A setting is missing or malformed; the message names it.</exception>
    public static RaftSettings FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var raft = config.GetConfig(Section);
        if (raft is null || raft.IsEmpty)
        {
            throw new ConfigurationException($"{Section} is missing from the configuration.");
        }

        var settings = new RaftSettings
        {
            ClusterId = raft.GetString("cluster-id", ""),
            NodeId = ParseNodeId("node-id", raft.GetString("node-id", "0")),
            DataDirectory = raft.GetString("data-directory", ""),
            Groups = raft.GetInt("groups"),
            TickInterval = raft.GetTimeSpan("tick-interval"),
            ElectionTicks = raft.GetInt("election-ticks"),
            ProposalTimeout = raft.GetTimeSpan("proposal-timeout"),
            RequestTimeout = raft.GetTimeSpan("request-timeout"),
            AttemptTimeout = raft.GetTimeSpan("attempt-timeout"),
            LogSegmentSize = raft.GetLong("log-segment-size"),
            SnapshotEveryEntries = (ulong)Math.Max(0, raft.GetLong("snapshot-every-entries")),
        };

        var members = raft.GetConfig("members");
        if (members is not null && !members.IsEmpty)
        {
            foreach (var (key, value) in members.AsEnumerable())
            {
                settings.Members[ParseNodeId($"members.{key}", key)] = value.GetString();
            }
        }

        return settings;
    }

    /// <summary>Throws <see cref="ConfigurationException"/> naming the first unusable setting and its value.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ClusterId))
        {
            Fail($"{Section}.cluster-id must not be empty (was \"{ClusterId}\").");
        }

        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            Fail($"{Section}.data-directory must be set (was \"{DataDirectory}\").");
        }

        if (Members.Count == 0)
        {
            Fail($"{Section}.members must map at least one node id to an actor system address (was empty).");
        }

        foreach (var (node, address) in Members)
        {
            if (node == 0)
            {
                Fail($"{Section}.members: node id 0 is not a node id.");
            }

            if (!TryParseAddress(address, out _))
            {
                Fail($"{Section}.members.{node} must be an actor system address like akka.tcp://system@host:port (was \"{address}\").");
            }
        }

        if (NodeId == 0 || !Members.ContainsKey(NodeId))
        {
            Fail($"{Section}.node-id must be one of the member ids [{string.Join(", ", Members.Keys.Order())}] (was {NodeId}).");
        }

        if (Groups < 1)
        {
            Fail($"{Section}.groups must be at least 1 (was {Groups}).");
        }

        if (TickInterval <= TimeSpan.Zero)
        {
            Fail($"{Section}.tick-interval must be positive (was {TickInterval}).");
        }

        if (ElectionTicks < 3)
        {
            Fail($"{Section}.election-ticks must be at least 3 (was {ElectionTicks}).");
        }

        foreach (var (name, value) in new[] { ("proposal-timeout", ProposalTimeout), ("request-timeout", RequestTimeout), ("attempt-timeout", AttemptTimeout) })
        {
            if (value <= TimeSpan.Zero)
            {
                Fail($"{Section}.{name} must be positive (was {value}).");
            }
        }

        if (LogSegmentSize < FileLogStoreOptions.MinSegmentSize || LogSegmentSize > FileLogStoreOptions.MaxSegmentSize || LogSegmentSize % 4096 != 0)
        {
            Fail($"{Section}.log-segment-size must be a multiple of 4096 in [{FileLogStoreOptions.MinSegmentSize}, {FileLogStoreOptions.MaxSegmentSize}] (was {LogSegmentSize}).");
        }

        if (SnapshotEveryEntries == 0)
        {
            Fail($"{Section}.snapshot-every-entries must be positive (was 0).");
        }
    }

    /// <summary>These settings as an <c>akka.raft</c> HOCON section.</summary>
    public string ToHocon()
    {
        static string Ms(TimeSpan value) => string.Create(CultureInfo.InvariantCulture, $"{(long)value.TotalMilliseconds}ms");
        var members = Members.Select(m => $"{Quote(m.Key.ToString(CultureInfo.InvariantCulture))} = {Quote(m.Value)}");
        (string Name, string Value)[] settings =
        [
            ("cluster-id", Quote(ClusterId)),
            ("node-id", NodeId.ToString(CultureInfo.InvariantCulture)),
            ("data-directory", Quote(DataDirectory)),
            ("groups", Groups.ToString(CultureInfo.InvariantCulture)),
            ("members", "{ " + string.Join(", ", members) + " }"),
            ("tick-interval", Ms(TickInterval)),
            ("election-ticks", ElectionTicks.ToString(CultureInfo.InvariantCulture)),
            ("proposal-timeout", Ms(ProposalTimeout)),
            ("request-timeout", Ms(RequestTimeout)),
            ("attempt-timeout", Ms(AttemptTimeout)),
            ("log-segment-size", LogSegmentSize.ToString(CultureInfo.InvariantCulture)),
            ("snapshot-every-entries", SnapshotEveryEntries.ToString(CultureInfo.InvariantCulture)),
        ];
        return $"{Section} {{\n{string.Join("", settings.Select(s => $"  {s.Name} = {s.Value}\n"))}}}\n";
    }

    /// <summary>The members' addresses, parsed (valid once <see cref="Validate"/> passed).</summary>
    internal Dictionary<ulong, Address> MemberAddresses() =>
        Members.ToDictionary(m => m.Key, m => Address.Parse(m.Value));

    private static bool TryParseAddress(string value, out Address? address)
    {
        address = null;
        try
        {
            address = Address.Parse(value);
            return address.Host is not null && address.Port is not null;
        }
        catch (Exception ex) when (ex is UriFormatException or ArgumentException or FormatException)
        {
            return false;
        }
    }

    private static ulong ParseNodeId(string setting, string value) =>
        ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id
            : throw new ConfigurationException($"{Section}.{setting} must be a positive integer node id (was \"{value}\").");

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static void Fail(string message) => throw new ConfigurationException(message);
}
