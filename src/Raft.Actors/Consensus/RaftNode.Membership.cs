using Raft.Actors.Protocol;

namespace Raft.Actors.Consensus;

public sealed partial class RaftNode
{
    private readonly Dictionary<ulong, ulong> _observedDisks = [];

    /// <summary>
    /// Proposes a membership change (thesis §4). It takes effect on each node when appended;
    /// the leader leaves a joint configuration by itself once it commits, and steps down once a
    /// configuration without it commits. One change at a time: see <see cref="ProposeStatus.Busy"/>.
    /// </summary>
    public ProposeResult ProposeConfChange(ConfChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (Role != RaftRole.Leader)
        {
            return ProposeResult.NotLeader(Leader);
        }

        if ((TransferInProgress ?? WhyNoConfChangeNow()) is { } busy)
        {
            return ProposeResult.Busy(Id, busy);
        }

        return Membership.Apply(_log.Configuration, change, out var error) is { } next
            ? AppendConfiguration(next)
            : ProposeResult.Invalid(Id, $"{change} does not apply to {_log.Configuration}: {error}");
    }

    /// <summary>
    /// Why the leader may not propose a configuration change now, or null when it may. The
    /// previous change must be committed (one at a time keeps any two quorums of consecutive
    /// configurations overlapping), and so must an entry of this term: without it a leader
    /// elected under an older configuration could commit a change that conflicts with an
    /// uncommitted one it never saw (Ongaro, raft-dev, 2015).
    /// </summary>
    /// <summary>
    /// Unsafe recovery for a group that lost its majority for good: this node starts a new term
    /// with <paramref name="configuration"/> appended to its own log, as if a leader had
    /// proposed it, and campaigns under it. Entries the lost majority committed but this node
    /// lacks are lost, and the surviving members of the new configuration drop whatever they
    /// hold beyond this node's log. Run it on one survivor only (the most up to date), with the
    /// others stopped or listed as voters; then add new members in the ordinary way.
    /// </summary>
    /// <exception cref="ArgumentException">The configuration is malformed or this node is not one of its voters.</exception>
    public void UnsafeResetConfiguration(ConfState configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (MessageValidation.FindConfigurationError(configuration) is { } error)
        {
            throw new ArgumentException($"Cannot reset to {configuration}: {error}.", nameof(configuration));
        }

        if (!configuration.Voters.Contains(Id) || configuration.IsJoint)
        {
            throw new ArgumentException($"Cannot reset to {configuration}: node {Id} must be one of its voters, and it must not be joint.", nameof(configuration));
        }

        // A term no leader of the old configuration used: our entry cannot collide with theirs.
        BecomeFollower(Term + 1, 0);
        var reset = configuration with { Disks = _log.Configuration.Disks };
        _log.AppendOwn(new Entry { Index = _log.LastIndex + 1, Term = Term, Type = EntryType.ConfChange, Data = ConfigurationCodec.Encode(reset) });
        SyncConfiguration();
        Campaign(preVote: false);
    }

    private ProposeResult AppendConfiguration(ConfState next) =>
        AppendProposal(EntryType.ConfChange, ConfigurationCodec.Encode(next), 0, 0);

    private string? WhyNoConfChangeNow()
    {
        if (Has(PlantedBug.UnguardedConfChange))
        {
            return null;
        }

        if (_log.ConfigurationIndex > _log.Committed)
        {
            return $"the configuration change at index {_log.ConfigurationIndex} is not committed yet";
        }

        return CommittedInCurrentTerm ? null : $"the leader has not yet committed an entry of term {Term}";
    }

    /// <summary>Brings the tracker in line with the log's configurations after the log or the commit index moved.</summary>
    private void SyncConfiguration()
    {
        var conf = _log.Configuration;
        var committed = _log.ConfigurationAt(_log.Committed);
        var quorumChanged = !ReferenceEquals(conf, _tracker.Configuration);
        if (!quorumChanged && ReferenceEquals(committed, _tracker.CommittedConfiguration))
        {
            return;
        }

        _tracker.Reconfigure(conf, committed);
        if (Role != RaftRole.Leader)
        {
            return;
        }

        _tracker.AddMissingProgress(_log.LastIndex);
        if (_tracker.Progress.TryGetValue(Id, out var self))
        {
            self.RecentActive = true;
        }

        // Fewer or other voters may make a quorum of what is already replicated.
        if (quorumChanged && MaybeCommit())
        {
            OnCommitted();
        }
    }

    /// <summary>
    /// The leader's follow-ups once its commit index moved: tell followers, then act on a
    /// configuration that became committed.
    /// </summary>
    private void OnCommitted()
    {
        BroadcastAppend();
        SyncConfiguration();
        if (Role != RaftRole.Leader || _log.ConfigurationIndex > _log.Committed)
        {
            return;
        }

        var conf = _log.Configuration;
        if (!conf.IsVoter(Id))
        {
            // Thesis §4.2.2: a leader removed from the configuration manages the cluster until
            // the change commits, then steps down. It hands over to the most caught-up voter at
            // once rather than leave the group without a leader for an election timeout.
            var successor = MostCaughtUpVoter();
            if (successor != 0)
            {
                SendTimeoutNow(successor);
            }

            BecomeFollower(Term, 0);
            return;
        }

        if (conf.IsJoint && WhyNoConfChangeNow() is null)
        {
            // Thesis §4.3: once the joint configuration commits, the leader moves to the new one.
            AppendConfiguration(conf with { VotersOutgoing = [] });
            return;
        }

        MaybeRecordDisks();
    }

    private ulong MostCaughtUpVoter()
    {
        ulong best = 0, bestMatch = 0;
        foreach (var (id, pr) in _tracker.Progress)
        {
            if (id != Id && _log.Configuration.IsVoter(id) && pr.Match > bestMatch)
            {
                (best, bestMatch) = (id, pr.Match);
            }
        }

        return best;
    }

    /// <summary>
    /// A message from a member whose disk differs from the one recorded for it: the member lost
    /// its disk, with it its votes and acknowledged entries, and must not take part under its
    /// old id. Answered with <see cref="MessageType.Refused"/>; true when refused.
    /// </summary>
    private bool RefuseWipedMember(RaftMessage m)
    {
        var recorded = _log.Configuration.DiskOf(m.From);
        if (m.DiskId == 0 || recorded == 0 || recorded == m.DiskId)
        {
            return false;
        }

        Send(new RaftMessage { Type = MessageType.Refused, To = m.From, Context = EncodeId(recorded) });
        return true;
    }

    private void HandleRefused(RaftMessage m)
    {
        if (TryDecodeId(m.Context, out var recorded) && recorded != _diskId && _diskId != 0 && Refusal is null)
        {
            Refusal = new NodeRefusal(Id, m.From, recorded, _diskId);
        }
    }

    /// <summary>Notes the disk a member answered with, to be recorded in the configuration.</summary>
    private void ObserveDisk(RaftMessage m)
    {
        if (m.DiskId != 0 && _log.Configuration.DiskOf(m.From) == 0)
        {
            _observedDisks[m.From] = m.DiskId;
            MaybeRecordDisks();
        }
    }

    /// <summary>
    /// Proposes one change recording the disks of members that have none recorded yet, when a
    /// change may be proposed. Not a membership change: quorums stay as they are.
    /// </summary>
    private void MaybeRecordDisks()
    {
        if (_diskId != 0 && _log.Configuration.DiskOf(Id) == 0)
        {
            _observedDisks[Id] = _diskId;
        }

        if (_observedDisks.Count == 0 || WhyNoConfChangeNow() is not null)
        {
            return;
        }

        var conf = _log.Configuration;
        var items = _observedDisks
            .Where(d => conf.Contains(d.Key) && conf.DiskOf(d.Key) == 0)
            .OrderBy(d => d.Key)
            .Select(d => new ConfChangeItem(ConfChangeType.RecordDisk, d.Key, d.Value))
            .ToArray();
        _observedDisks.Clear();
        if (items.Length > 0 && Membership.Apply(conf, ConfChange.Of(items), out _) is { } next)
        {
            AppendConfiguration(next);
        }
    }
}

/// <summary>
/// This node was refused by a member of its group: its storage is not the one the group
/// recorded for its id, so it lost its disk (and with it votes and acknowledged entries).
/// </summary>
/// <param name="NodeId">This node.</param>
/// <param name="RefusedBy">The member that refused it.</param>
/// <param name="RecordedDiskId">The disk id the group recorded for this node.</param>
/// <param name="DiskId">This node's disk id.</param>
public sealed record NodeRefusal(ulong NodeId, ulong RefusedBy, ulong RecordedDiskId, ulong DiskId)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"Node {NodeId} was refused by node {RefusedBy}: the group recorded disk {RecordedDiskId:x16} for node {NodeId}, " +
        $"but this node's storage is disk {DiskId:x16}. Its data was lost or replaced, so it cannot take part under its old id " +
        "(it could vote twice or forget entries it acknowledged). Remove node " + NodeId + " from the group and add this node under a new id.";
}
