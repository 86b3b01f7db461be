using System.Collections.Concurrent;
using Raft.Actors.Services;

namespace Raft.Actors.Routing;

/// <summary>
/// A client's way into a multi-raft cluster: maps keys to groups (<see cref="IShardMap"/>) and
/// keeps one <see cref="GroupRoute"/> per group (leader hint and members, refreshed from every
/// answer), shared by every caller of that group.
/// </summary>
/// <remarks>Thread-safe; one per process is enough.</remarks>
public sealed class RaftRouter
{
    private readonly IReplicaInvoker _invoker;
    private readonly ulong[] _seeds;
    private readonly ReplicaGroupClientOptions? _options;
    private readonly ConcurrentDictionary<ulong, ReplicaGroupClient> _clients = new();

    /// <summary>Creates a router.</summary>
    /// <param name="shards">Which group owns a key.</param>
    /// <param name="invoker">How requests reach a node.</param>
    /// <param name="seeds">Nodes to ask about a group until its leader reports the members.</param>
    /// <param name="options">Timeouts of every group client; validated here.</param>
    public RaftRouter(IShardMap shards, IReplicaInvoker invoker, IEnumerable<ulong> seeds, ReplicaGroupClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentNullException.ThrowIfNull(invoker);
        options?.Validate();
        Shards = shards;
        _invoker = invoker;
        _seeds = GroupRoute.CheckSeeds(seeds);
        _options = options;
    }

    /// <summary>The key to group mapping.</summary>
    public IShardMap Shards { get; }

    /// <summary>The client of the group that owns <paramref name="key"/>.</summary>
    public ReplicaGroupClient ForKey(ReadOnlySpan<byte> key) => ForGroup(Shards.GroupOf(key));

    /// <summary>The client of <paramref name="group"/> (created on first use, then shared).</summary>
    public ReplicaGroupClient ForGroup(ulong group) =>
        _clients.GetOrAdd(group, g => new ReplicaGroupClient(new GroupRoute(g, _seeds), _invoker, _options));
}
