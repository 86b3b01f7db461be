using System.Diagnostics;
using Raft.Actors.Protocol;
using static Raft.Actors.Protocol.ConfChangeType;

namespace Raft.Actors.Admin;

public sealed partial class RaftAdmin
{
    /// <summary>
    /// Adds <paramref name="nodeId"/> as a voter: as a learner first (unless it is one), then,
    /// once caught up, promoted in one change. Its replica must be running (as a joining node).
    /// </summary>
    public async Task AddPeerAsync(ulong nodeId, CancellationToken cancellationToken = default)
    {
        var conf = (await LeaderStatusAsync(cancellationToken).ConfigureAwait(false)).Configuration;
        if (conf.Voters.Contains(nodeId))
        {
            return;
        }

        if (!conf.Learners.Contains(nodeId))
        {
            await ChangeAsync(ConfChange.Of(new ConfChangeItem(AddLearner, nodeId)), cancellationToken).ConfigureAwait(false);
        }

        await WaitCaughtUpAsync([nodeId], cancellationToken).ConfigureAwait(false);
        await ChangeAsync(ConfChange.Of(new ConfChangeItem(AddVoter, nodeId)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes the voter <paramref name="nodeId"/>; removing the leader makes it hand over once the change commits.</summary>
    /// <exception cref="ArgumentException">The node is not a voter.</exception>
    public async Task RemovePeerAsync(ulong nodeId, CancellationToken cancellationToken = default)
    {
        var conf = (await LeaderStatusAsync(cancellationToken).ConfigureAwait(false)).Configuration;
        if (!conf.Voters.Contains(nodeId))
        {
            throw new ArgumentException($"Node {nodeId} is not a voter of group {Group} ({conf}).", nameof(nodeId));
        }

        await ChangeAsync(ConfChange.Of(new ConfChangeItem(Remove, nodeId)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Makes <paramref name="voters"/> the group's voters: new nodes join as learners and catch
    /// up first; then one change swaps the voter set (through a joint configuration when more
    /// than one voter changes).
    /// </summary>
    public async Task ChangePeersAsync(IEnumerable<ulong> voters, CancellationToken cancellationToken = default)
    {
        var target = voters.ToHashSet();
        if (target.Count == 0 || target.Contains(0))
        {
            throw new ArgumentException("The new voters must be at least one node, none of them 0.", nameof(voters));
        }

        var conf = (await LeaderStatusAsync(cancellationToken).ConfigureAwait(false)).Configuration;
        var added = target.Where(id => !conf.Voters.Contains(id)).Order().ToArray();
        var toLearn = added.Where(id => !conf.Learners.Contains(id)).Select(id => new ConfChangeItem(AddLearner, id)).ToArray();
        if (toLearn.Length > 0)
        {
            await ChangeAsync(ConfChange.Of(toLearn), cancellationToken).ConfigureAwait(false);
        }

        await WaitCaughtUpAsync(added, cancellationToken).ConfigureAwait(false);
        var swap = added.Select(id => new ConfChangeItem(AddVoter, id))
            .Concat(conf.Voters.Where(id => !target.Contains(id)).Select(id => new ConfChangeItem(Remove, id)))
            .ToArray();
        if (swap.Length > 0)
        {
            await ChangeAsync(ConfChange.Of(swap), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Adds learners in one change (nodes that are already learners are left as they are).</summary>
    public async Task AddLearnersAsync(IEnumerable<ulong> learners, CancellationToken cancellationToken = default)
    {
        var conf = (await LeaderStatusAsync(cancellationToken).ConfigureAwait(false)).Configuration;
        var items = learners.Where(id => !conf.Learners.Contains(id)).Select(id => new ConfChangeItem(AddLearner, id)).ToArray();
        if (items.Length > 0)
        {
            await ChangeAsync(ConfChange.Of(items), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Removes learners in one change.</summary>
    /// <exception cref="ArgumentException">One of them is not a learner.</exception>
    public async Task RemoveLearnersAsync(IEnumerable<ulong> learners, CancellationToken cancellationToken = default)
    {
        var conf = (await LeaderStatusAsync(cancellationToken).ConfigureAwait(false)).Configuration;
        var ids = learners.ToArray();
        if (ids.FirstOrDefault(id => !conf.Learners.Contains(id)) is var missing and not 0)
        {
            throw new ArgumentException($"Node {missing} is not a learner of group {Group} ({conf}).", nameof(learners));
        }

        if (ids.Length > 0)
        {
            await ChangeAsync(ConfChange.Of([.. ids.Select(id => new ConfChangeItem(Remove, id))]), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Makes <paramref name="learners"/> exactly the group's learners, in one change.</summary>
    public async Task ResetLearnersAsync(IEnumerable<ulong> learners, CancellationToken cancellationToken = default)
    {
        var target = learners.ToHashSet();
        var conf = (await LeaderStatusAsync(cancellationToken).ConfigureAwait(false)).Configuration;
        var items = conf.Learners.Where(id => !target.Contains(id)).Select(id => new ConfChangeItem(Remove, id))
            .Concat(target.Where(id => !conf.Learners.Contains(id)).Order().Select(id => new ConfChangeItem(AddLearner, id)))
            .ToArray();
        if (items.Length > 0)
        {
            await ChangeAsync(ConfChange.Of(items), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Promotes the learner <paramref name="nodeId"/> to voter in one configuration change.</summary>
    /// <exception cref="ArgumentException">The node is not a learner.</exception>
    public async Task PromoteLearnerAsync(ulong nodeId, CancellationToken cancellationToken = default)
    {
        var conf = (await LeaderStatusAsync(cancellationToken).ConfigureAwait(false)).Configuration;
        if (!conf.Learners.Contains(nodeId))
        {
            throw new ArgumentException($"Node {nodeId} is not a learner of group {Group} ({conf}).", nameof(nodeId));
        }

        await ChangeAsync(ConfChange.Of(new ConfChangeItem(AddVoter, nodeId)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Proposes a change on the leader, following the leader if it moves, until the timeout.</summary>
    private async Task ChangeAsync(ConfChange change, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var leader = await LeaderAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await leader.ChangeMembershipAsync(change, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (NotLeaderException) when (clock.Elapsed < _options.Timeout)
            {
                // The leader moved between finding it and proposing: find the new one.
            }
        }
    }

    private async Task WaitCaughtUpAsync(IReadOnlyCollection<ulong> nodes, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var status = await LeaderStatusAsync(cancellationToken).ConfigureAwait(false);
            var behind = nodes.Where(id => !status.Followers.TryGetValue(id, out var f) || f.Match == 0 || f.Lag > _options.CatchUpLag).ToArray();
            if (behind.Length == 0)
            {
                return;
            }

            if (clock.Elapsed >= _options.Timeout)
            {
                throw new TimeoutException($"Group {Group}: node(s) {string.Join(", ", behind)} did not catch up to within {_options.CatchUpLag} entries of the leader in {_options.Timeout}; is the replica running?");
            }

            await Task.Delay(_options.PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }
}
