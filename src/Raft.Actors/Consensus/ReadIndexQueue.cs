namespace Raft.Actors.Consensus;

/// <summary>
/// The leader's linearizable reads (thesis §6.4): each read gets the commit index as its read
/// index, and is released once a quorum has confirmed, after the read arrived, that this node
/// is still the leader. Reads that arrive together share one heartbeat round.
/// </summary>
internal sealed class ReadIndexQueue
{
    private readonly List<PendingRead> _awaitingTermCommit = [];
    private readonly List<PendingRead> _unsent = [];
    private readonly List<ReadRound> _rounds = [];
    private ulong _lastRound;

    /// <summary>True when reads wait for a round to be started.</summary>
    public bool HasUnsent => _unsent.Count > 0;

    /// <summary>True when no read waits for anything.</summary>
    public bool IsEmpty => _unsent.Count == 0 && _awaitingTermCommit.Count == 0 && _rounds.Count == 0;

    /// <summary>Queues a read; before the leader commits an entry of its term it must wait (Raft §8).</summary>
    public void Add(PendingRead read, bool committedInTerm) => (committedInTerm ? _unsent : _awaitingTermCommit).Add(read);

    /// <summary>The leader has committed an entry of its term: held reads may go.</summary>
    public void ReleaseTermCommitHold()
    {
        _unsent.AddRange(_awaitingTermCommit);
        _awaitingTermCommit.Clear();
    }

    /// <summary>Starts a round for the unsent reads at read index <paramref name="commit"/>; returns its number.</summary>
    public ulong StartRound(ulong commit, ulong self)
    {
        var round = new ReadRound(++_lastRound, commit, [.. _unsent], [self]);
        _unsent.Clear();
        _rounds.Add(round);
        return round.Number;
    }

    /// <summary>
    /// Records that <paramref name="from"/> acknowledged round <paramref name="number"/>. When
    /// <paramref name="isQuorum"/> holds for it, that round and every earlier one are released.
    /// </summary>
    public List<(PendingRead Read, ulong Index)>? Acknowledge(ulong from, ulong number, Func<IReadOnlySet<ulong>, bool> isQuorum)
    {
        var at = _rounds.FindIndex(r => r.Number == number);
        if (at < 0)
        {
            return null;
        }

        // Check the quorum even when the ack repeats one we had: a round starts with the
        // leader's own ack, so a single-voter group confirms with a repeat of it. Rejecting
        // repeats left every read of a single-node group waiting forever.
        _rounds[at].Acks.Add(from);
        if (!isQuorum(_rounds[at].Acks))
        {
            return null;
        }

        var released = new List<(PendingRead, ulong)>();
        for (var i = 0; i <= at; i++)
        {
            foreach (var read in _rounds[i].Reads)
            {
                released.Add((read, _rounds[i].Index));
            }
        }

        _rounds.RemoveRange(0, at + 1);
        return released;
    }

    /// <summary>Drops everything (leadership lost); the requesters time out or retry elsewhere.</summary>
    public void Clear()
    {
        _awaitingTermCommit.Clear();
        _unsent.Clear();
        _rounds.Clear();
    }

    private sealed record ReadRound(ulong Number, ulong Index, PendingRead[] Reads, HashSet<ulong> Acks);
}

/// <summary>A read request: who asked (this node or a follower) and the requester's id for it.</summary>
internal readonly record struct PendingRead(ulong Requester, ulong RequestId);
