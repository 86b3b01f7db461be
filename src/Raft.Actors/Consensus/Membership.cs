using Raft.Actors.Protocol;

namespace Raft.Actors.Consensus;

/// <summary>
/// The rules of membership changes as a pure function of the current configuration and a
/// change. Every node computes the same result from the same log, so the leader validates a
/// change before proposing it, and a change that does not fit when appended (possible only
/// if the proposal guard was bypassed) is skipped by every node alike.
/// </summary>
public static class Membership
{
    /// <summary>
    /// The configuration after <paramref name="change"/>, or null with the reason in
    /// <paramref name="error"/> when the change is not allowed from <paramref name="current"/>.
    /// </summary>
    public static ConfState? Apply(ConfState current, ConfChange change, out string? error)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(change);
        if (change.Items.IsDefaultOrEmpty)
        {
            error = current.IsJoint ? null : "the configuration is not joint, so there is nothing to leave";
            return error is null ? current with { VotersOutgoing = [] } : null;
        }

        if (current.IsJoint)
        {
            error = $"a joint change ({current}) is still in progress; it must be left before another change";
            return null;
        }

        var voters = new SortedSet<ulong>(current.Voters);
        var learners = new SortedSet<ulong>(current.Learners);
        var disks = new SortedDictionary<ulong, ulong>(current.Disks.IsDefault ? [] : current.Disks.ToDictionary(d => d.NodeId, d => d.DiskId));
        foreach (var item in change.Items)
        {
            error = ApplyItem(item, voters, learners, disks);
            if (error is not null)
            {
                return null;
            }
        }

        if (voters.Count == 0)
        {
            error = "the change would leave no voter";
            return null;
        }

        var changedVoters = voters.Count + current.Voters.Length - (2 * voters.Count(current.Voters.Contains));
        var joint = changedVoters > 1 || (changedVoters == 1 && change.Transition == ConfChangeTransition.Joint);
        error = null;
        return new ConfState
        {
            Voters = [.. voters],
            Learners = [.. learners],
            VotersOutgoing = joint ? current.Voters : [],
            Disks = [.. disks.Select(d => new MemberDisk(d.Key, d.Value))],
        };
    }

    private static string? ApplyItem(ConfChangeItem item, SortedSet<ulong> voters, SortedSet<ulong> learners, SortedDictionary<ulong, ulong> disks)
    {
        if (item.NodeId == 0)
        {
            return "node id 0 is not a node (ids start at 1)";
        }

        var member = voters.Contains(item.NodeId) || learners.Contains(item.NodeId);
        if (item.Type is ConfChangeType.AddVoter or ConfChangeType.AddLearner && !member && disks.ContainsKey(item.NodeId))
        {
            // A removed node refuses to vote for good; back under its old id it could never be counted.
            return $"node {item.NodeId} was a member before (its disk is on record); a removed node never rejoins under its old id: add it under a new id";
        }

        switch (item.Type)
        {
            case ConfChangeType.AddVoter:
                // A learner becomes a voter in this same change: promotion is one change, not two.
                learners.Remove(item.NodeId);
                voters.Add(item.NodeId);
                return null;
            case ConfChangeType.AddLearner when voters.Contains(item.NodeId):
                return $"node {item.NodeId} is a voter; demoting a voter to a learner is not supported (remove it, and add the node back under a new id)";
            case ConfChangeType.AddLearner:
                learners.Add(item.NodeId);
                return null;
            case ConfChangeType.Remove when !voters.Contains(item.NodeId) && !learners.Contains(item.NodeId):
                return $"node {item.NodeId} is not a member";
            case ConfChangeType.Remove:
                voters.Remove(item.NodeId);
                learners.Remove(item.NodeId);
                return null;
            case ConfChangeType.RecordDisk when item.DiskId == 0:
                return $"disk id 0 recorded for node {item.NodeId}";
            case ConfChangeType.RecordDisk when disks.TryGetValue(item.NodeId, out var recorded) && recorded != item.DiskId:
                return $"node {item.NodeId} already has disk {recorded:x16} recorded";
            case ConfChangeType.RecordDisk:
                disks[item.NodeId] = item.DiskId;
                return null;
            default:
                return $"unknown change type {(byte)item.Type}";
        }
    }
}
