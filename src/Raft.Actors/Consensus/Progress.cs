namespace Raft.Actors.Consensus;

/// <summary>How the leader currently replicates to one follower.</summary>
public enum ProgressState : byte
{
    /// <summary>Unknown match: send one Append at a time and wait for the answer.</summary>
    Probe,

    /// <summary>Known match: stream Appends optimistically within the inflight window.</summary>
    Replicate,

    /// <summary>The follower needs a snapshot; no Appends until it is installed.</summary>
    Snapshot,
}

/// <summary>The leader's view of one follower's log (Raft Figure 2 nextIndex/matchIndex, plus flow control).</summary>
internal sealed class Progress(ulong next, int maxInflight, long maxInflightBytes)
{
    /// <summary>Highest index known to be replicated (durably) on the follower.</summary>
    public ulong Match { get; private set; }

    /// <summary>Index of the next entry to send.</summary>
    public ulong Next { get; private set; } = next;

    public ProgressState State { get; private set; } = ProgressState.Probe;

    /// <summary>Snapshot state: the index of the snapshot being sent.</summary>
    public ulong PendingSnapshot { get; private set; }

    /// <summary>Probe state: an Append was sent and not yet answered.</summary>
    public bool ProbeSent { get; set; }

    /// <summary>Heard from since the last quorum check (CheckQuorum).</summary>
    public bool RecentActive { get; set; }

    /// <summary>
    /// The leader tick at which the newest heartbeat this member acknowledged was sent: from then
    /// on, for an election timeout of its own clock, the member votes for no one else.
    /// </summary>
    public long LeaseTick { get; set; } = long.MinValue;

    public Inflights Inflights { get; } = new(maxInflight, maxInflightBytes);

    public bool IsPaused => State switch
    {
        ProgressState.Probe => ProbeSent,
        ProgressState.Replicate => Inflights.IsFull,
        _ => true,
    };

    public void BecomeProbe()
    {
        // After a snapshot, the follower has at least the snapshot (if it was installed).
        Next = State == ProgressState.Snapshot ? Math.Max(Match + 1, PendingSnapshot + 1) : Match + 1;
        State = ProgressState.Probe;
        PendingSnapshot = 0;
        ProbeSent = false;
        Inflights.Reset();
    }

    /// <summary>The snapshot transfer failed: probe again from what the follower is known to have.</summary>
    public void AbortSnapshot()
    {
        PendingSnapshot = 0;
        BecomeProbe();
    }

    public void BecomeSnapshot(ulong snapshotIndex)
    {
        State = ProgressState.Snapshot;
        PendingSnapshot = snapshotIndex;
        ProbeSent = false;
        Inflights.Reset();
    }

    public void BecomeReplicate()
    {
        State = ProgressState.Replicate;
        PendingSnapshot = 0;
        Next = Match + 1;
        ProbeSent = false;
        Inflights.Reset();
    }

    /// <summary>Records an acknowledgement up to <paramref name="index"/>; false when it is stale.</summary>
    public bool MaybeUpdate(ulong index)
    {
        var updated = false;
        if (Match < index)
        {
            Match = index;
            ProbeSent = false;
            updated = true;
        }

        Next = Math.Max(Next, index + 1);
        return updated;
    }

    /// <summary>
    /// A rejection of the Append after <paramref name="rejected"/>; <paramref name="matchHint"/> is the
    /// highest index that may match. Returns false when the rejection is stale (already superseded).
    /// </summary>
    public bool MaybeDecreaseTo(ulong rejected, ulong matchHint)
    {
        if (State == ProgressState.Replicate)
        {
            if (rejected <= Match)
            {
                return false;
            }

            Next = Match + 1;
            return true;
        }

        if (Next - 1 != rejected)
        {
            return false;
        }

        Next = Math.Max(Math.Min(rejected, matchHint + 1), Match + 1);
        ProbeSent = false;
        return true;
    }

    /// <summary>Bookkeeping after sending an Append whose last entry is <paramref name="lastIndex"/>.</summary>
    public void SentEntries(int count, ulong lastIndex, long bytes)
    {
        if (State == ProgressState.Replicate)
        {
            if (count > 0)
            {
                Next = lastIndex + 1;
                Inflights.Add(lastIndex, bytes);
            }
        }
        else if (State == ProgressState.Probe)
        {
            ProbeSent = true;
        }
    }

    public override string ToString() => $"{State} match={Match} next={Next} inflight={Inflights.Count}";
}
