using System.Diagnostics;
using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Runtime;

namespace Raft.Actors.Admin;

/// <summary>
/// The operator's toolbox for one group, after SOFAJRaft's CliService: membership, learners,
/// leadership, snapshots and status. Operations find the leader themselves (following
/// <see cref="NotLeaderException"/> hints) and complete once their change is committed.
/// </summary>
/// <remarks>
/// <para>Adding a voter is safe by construction: the node joins as a learner, and is promoted
/// in one configuration change only once it has caught up, so the group never waits on a
/// voter that lacks the log. Several voter changes at once go through a joint configuration.</para>
/// <para>Thread-safe; operations on one group should not be run concurrently (the group takes
/// one configuration change at a time and the second one waits or times out).</para>
/// </remarks>
public sealed partial class RaftAdmin
{
    private readonly Func<ulong, RaftReplica?> _locate;
    private readonly HashSet<ulong> _known;
    private readonly RaftAdminOptions _options;

    /// <summary>Creates an admin for one group.</summary>
    /// <param name="group">The group.</param>
    /// <param name="locate">This group's replica on a node, or null when the node has none (or is unreachable).</param>
    /// <param name="seeds">Nodes to ask first; members learned from the configuration are asked too.</param>
    /// <param name="options">Timeouts and the catch-up threshold.</param>
    public RaftAdmin(ulong group, Func<ulong, RaftReplica?> locate, IEnumerable<ulong> seeds, RaftAdminOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(locate);
        ArgumentNullException.ThrowIfNull(seeds);
        _options = options ?? new RaftAdminOptions();
        _options.Validate();
        Group = group;
        _locate = locate;
        _known = [.. seeds];
    }

    /// <summary>The group this admin operates on.</summary>
    public ulong Group { get; }

    /// <summary>The current leader's id.</summary>
    /// <exception cref="TimeoutException">No leader within the timeout.</exception>
    public async Task<ulong> GetLeaderAsync(CancellationToken cancellationToken = default) =>
        (await LeaderAsync(cancellationToken).ConfigureAwait(false)).NodeId;

    /// <summary>The voters of the configuration in force (the incoming ones during a joint change).</summary>
    public async Task<IReadOnlyList<ulong>> GetPeersAsync(CancellationToken cancellationToken = default) =>
        [.. (await LeaderStatusAsync(cancellationToken).ConfigureAwait(false)).Configuration.Voters];

    /// <summary>The learners of the configuration in force.</summary>
    public async Task<IReadOnlyList<ulong>> GetLearnersAsync(CancellationToken cancellationToken = default) =>
        [.. (await LeaderStatusAsync(cancellationToken).ConfigureAwait(false)).Configuration.Learners];

    /// <summary>The voters the leader heard from within the current election timeout (itself included).</summary>
    public async Task<IReadOnlyList<ulong>> GetAlivePeersAsync(CancellationToken cancellationToken = default)
    {
        var status = await LeaderStatusAsync(cancellationToken).ConfigureAwait(false);
        return [.. status.Configuration.Voters.Where(id => id == status.Id || (status.Followers.TryGetValue(id, out var f) && f.RecentActive))];
    }

    /// <summary>The learners the leader heard from within the current election timeout.</summary>
    public async Task<IReadOnlyList<ulong>> GetAliveLearnersAsync(CancellationToken cancellationToken = default)
    {
        var status = await LeaderStatusAsync(cancellationToken).ConfigureAwait(false);
        return [.. status.Configuration.Learners.Where(id => status.Followers.TryGetValue(id, out var f) && f.RecentActive)];
    }

    /// <summary>The status of this group's replica on <paramref name="nodeId"/>.</summary>
    /// <exception cref="ArgumentException">The node has no replica of this group.</exception>
    public Task<RaftStatus> GetStatusAsync(ulong nodeId, CancellationToken cancellationToken = default) =>
        Replica(nodeId).GetStatusAsync(cancellationToken);

    /// <summary>Takes a snapshot on <paramref name="nodeId"/> now and returns what it covers.</summary>
    public Task<SnapshotMetadata> SnapshotAsync(ulong nodeId, CancellationToken cancellationToken = default) =>
        Replica(nodeId).SnapshotAsync(cancellationToken);

    /// <summary>Hands leadership to <paramref name="target"/> (0 = the most caught-up voter); completes once another node leads.</summary>
    public async Task TransferLeaderAsync(ulong target = 0, CancellationToken cancellationToken = default)
    {
        var leader = await LeaderAsync(cancellationToken).ConfigureAwait(false);
        if (leader.NodeId != target)
        {
            await leader.TransferLeadershipAsync(target, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Unsafe recovery: resets the configuration on the survivor <paramref name="nodeId"/> of a
    /// group that lost its majority for good (see <see cref="RaftNode.UnsafeResetConfiguration"/>).
    /// Can lose committed entries.
    /// </summary>
    public Task ResetPeerAsync(ulong nodeId, IEnumerable<ulong> voters, CancellationToken cancellationToken = default) =>
        Replica(nodeId).UnsafeResetConfigurationAsync(ConfState.OfVoters([.. voters]), cancellationToken);

    private RaftReplica Replica(ulong nodeId) =>
        _locate(nodeId) ?? throw new ArgumentException($"Node {nodeId} has no replica of group {Group}.", nameof(nodeId));

    private async Task<RaftStatus> LeaderStatusAsync(CancellationToken cancellationToken) =>
        await (await LeaderAsync(cancellationToken).ConfigureAwait(false)).GetStatusAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Finds the leader: a replica that leads, or the one the others name, until the timeout.</summary>
    private async Task<RaftReplica> LeaderAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            foreach (var id in _known.ToArray())
            {
                if (_locate(id) is not { Fault: null } replica)
                {
                    continue;
                }

                var named = replica.Role == RaftRole.Leader ? replica : _locate(replica.Leader);
                if (named is { Role: RaftRole.Leader, Fault: null })
                {
                    var status = await named.GetStatusAsync(cancellationToken).ConfigureAwait(false);
                    _known.UnionWith(status.Configuration.Members());
                    if (status.Role == RaftRole.Leader)
                    {
                        return named;
                    }
                }
            }

            if (clock.Elapsed >= _options.Timeout)
            {
                throw new TimeoutException($"Group {Group}: no leader among nodes {string.Join(", ", _known)} within {_options.Timeout}.");
            }

            await Task.Delay(_options.PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }
}
