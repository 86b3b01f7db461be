using Raft.Actors.Consensus;
using Raft.Actors.Protocol;

namespace Raft.Actors.Runtime;

public sealed partial class RaftReplica
{
    private readonly List<(ulong FormerLeader, TaskCompletionSource Completion)> _leaderChangeWaiters = [];

    /// <summary>
    /// Proposes a membership change on this replica, which must lead, and completes once the
    /// change is committed. While an earlier change (or a transfer) is in progress the proposal is
    /// retried until <see cref="RaftReplicaOptions.ProposalTimeout"/>.
    /// </summary>
    /// <exception cref="NotLeaderException">This replica does not lead (with a hint).</exception>
    /// <exception cref="ArgumentException">The change cannot apply to the configuration in force; the message says why.</exception>
    /// <exception cref="TimeoutException">The group stayed busy with another change for the whole timeout; nothing was proposed.</exception>
    /// <exception cref="UnknownOutcomeException">Proposed, but not known committed in time; it may still take effect.</exception>
    public async Task ChangeMembershipAsync(ConfChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        ThrowIfFaulted();
        var started = _time.GetTimestamp();
        while (true)
        {
            var request = new ConfChangeRequest(change, new(TaskCreationOptions.RunContinuationsAsynchronously), NewCompletion());
            Post(request);
            var result = await request.Result.Task.WaitAsync(_options.ProposalTimeout, _time, cancellationToken).ConfigureAwait(false);
            switch (result.Status)
            {
                case ProposeStatus.Accepted:
                    await AwaitOutcomeAsync(request.Completion.Task, "membership change", cancellationToken).ConfigureAwait(false);
                    return;
                case ProposeStatus.NotLeader:
                    throw new NotLeaderException(Group, result.LeaderHint);
                case ProposeStatus.Invalid:
                    throw new ArgumentException($"Group {Group}: {result.Reason}.", nameof(change));
            }

            if (_time.GetElapsedTime(started) >= _options.ProposalTimeout)
            {
                throw new TimeoutException($"Group {Group}: {change} was not proposed within {_options.ProposalTimeout}: {result.Reason}.");
            }

            await Task.Delay(_options.TickInterval, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Hands leadership from this replica to <paramref name="target"/> (0 = the most caught-up
    /// voter) and completes once another node leads. Proposals are refused meanwhile.
    /// </summary>
    /// <exception cref="NotLeaderException">This replica does not lead.</exception>
    /// <exception cref="ArgumentException">The target is not another voter.</exception>
    /// <exception cref="TimeoutException">No other leader within <see cref="RaftReplicaOptions.ProposalTimeout"/> (the core abandons a transfer after an election timeout).</exception>
    public async Task TransferLeadershipAsync(ulong target = 0, CancellationToken cancellationToken = default)
    {
        ThrowIfFaulted();
        var request = new TransferRequest(target, new(TaskCreationOptions.RunContinuationsAsynchronously), new(TaskCreationOptions.RunContinuationsAsynchronously));
        Post(request);
        var result = await request.Result.Task.WaitAsync(_options.ProposalTimeout, _time, cancellationToken).ConfigureAwait(false);
        switch (result.Status)
        {
            case ProposeStatus.NotLeader:
                throw new NotLeaderException(Group, result.LeaderHint);
            case ProposeStatus.Invalid:
                throw new ArgumentException($"Group {Group}: {result.Reason}.", nameof(target));
        }

        try
        {
            await request.LeaderChanged.Task.WaitAsync(_options.ProposalTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"Group {Group}: leadership did not move from node {NodeId} within {_options.ProposalTimeout}.", ex);
        }
    }

    /// <summary>
    /// Unsafe recovery of a group that lost its majority (see <see cref="RaftNode.UnsafeResetConfiguration"/>):
    /// this replica adopts <paramref name="configuration"/> and campaigns under it. It can lose
    /// committed entries; use it only when the lost members will never come back.
    /// </summary>
    public async Task UnsafeResetConfigurationAsync(ConfState configuration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ThrowIfFaulted();
        var request = new ResetRequest(configuration, new(TaskCreationOptions.RunContinuationsAsynchronously));
        Post(request);
        await request.Done.Task.WaitAsync(_options.ProposalTimeout, _time, cancellationToken).ConfigureAwait(false);
    }

    private void HandleConfChange(RaftNode node, ConfChangeRequest request)
    {
        var result = node.ProposeConfChange(request.Change);
        if (result.Status == ProposeStatus.Accepted)
        {
            _proposals[result.Index] = (result.Term, request.Completion);
        }

        request.Result.TrySetResult(result);
    }

    private void HandleTransfer(RaftNode node, TransferRequest request)
    {
        var result = node.TransferLeadership(request.Target);
        if (result.Status == ProposeStatus.Accepted)
        {
            _leaderChangeWaiters.Add((NodeId, request.LeaderChanged));
        }

        request.Result.TrySetResult(result);
    }

    private static void HandleReset(RaftNode node, ResetRequest request)
    {
        try
        {
            node.UnsafeResetConfiguration(request.Configuration);
            request.Done.TrySetResult();
        }
        catch (ArgumentException ex)
        {
            request.Done.TrySetException(ex);
        }
    }

    /// <summary>Completes transfer waiters once a node other than the one they left leads.</summary>
    private void CompleteLeaderChangeWaiters(ulong leader)
    {
        if (_leaderChangeWaiters.Count == 0)
        {
            return;
        }

        _leaderChangeWaiters.RemoveAll(w =>
        {
            if (leader == 0 || leader == w.FormerLeader)
            {
                return false;
            }

            w.Completion.TrySetResult();
            return true;
        });
    }

    private sealed record ConfChangeRequest(ConfChange Change, TaskCompletionSource<ProposeResult> Result, TaskCompletionSource<ReadOnlyMemory<byte>> Completion);

    private sealed record TransferRequest(ulong Target, TaskCompletionSource<ProposeResult> Result, TaskCompletionSource LeaderChanged);

    private sealed record ResetRequest(ConfState Configuration, TaskCompletionSource Done);
}
