using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.StateMachines;
using Raft.Actors.Storage;

namespace Raft.Actors.Testing.Simulation;

/// <summary>One simulated replica: a <see cref="RaftNode"/>, its disk, its state machine and its mailbox.</summary>
internal sealed class SimNode(ulong id)
{
    public ulong Id { get; } = id;

    /// <summary>The id of this node's simulated disk; a node rebuilt on a new disk gets another (<see cref="Wipe"/>).</summary>
    public ulong DiskId { get; private set; } = (id * 0x9E3779B97F4A7C15UL) | 1;

    /// <summary>The node lost its disk and came back under its old id, on a new disk.</summary>
    public bool Wiped { get; private set; }

    /// <summary>A member refused the node (its disk is not the recorded one): the runtime stopped it for good.</summary>
    public bool Refused { get; set; }

    /// <summary>Ticks of its own clock the node missed while paused, to count before it handles anything else.</summary>
    public int MissedTicks { get; set; }

    /// <summary>What survives a crash: entries and hard state of completed writes only.</summary>
    public List<Entry> DiskEntries { get; } = [];

    public HardState DiskHardState { get; set; }

    /// <summary>The log on disk starts after this index (covered by <see cref="DiskSnapshot"/>).</summary>
    public ulong DiskCompactedIndex { get; set; }

    public ulong DiskCompactedTerm { get; set; }

    /// <summary>The newest durable snapshot: its metadata and the state machine bytes.</summary>
    public (SnapshotMetadata Metadata, byte[] Data)? DiskSnapshot { get; set; }

    /// <summary>Snapshots received from a leader (durable) and not yet installed, by index.</summary>
    public Dictionary<ulong, byte[]> ReceivedSnapshots { get; } = [];

    public RaftNode Raft { get; set; } = null!;

    /// <summary>The state machine behind its client sessions (<see cref="ClientSessions.StateMachine"/>).</summary>
    public ClientSessions Sessions { get; set; } = null!;

    /// <summary>Makes the node's state machine (a <see cref="KvStateMachine"/> unless the workload says otherwise).</summary>
    public Func<IRaftStateMachine> NewStateMachine { get; init; } = static () => new KvStateMachine();

    public Queue<object> Mailbox { get; } = new();

    public bool IsUp { get; set; } = true;

    public long PausedUntil { get; set; }

    /// <summary>A Ready is being persisted; the replica loop waits for it.</summary>
    public bool Busy { get; set; }

    public bool ProcessScheduled { get; set; }

    /// <summary>The Ready whose write is in flight, if any: lost (or torn) on a crash.</summary>
    public Ready? Persisting { get; set; }

    /// <summary>Highest term in which this node was seen leading (checked once per term).</summary>
    public ulong ObservedLeaderTerm { get; set; }

    /// <summary>Incremented on every crash, so events of a previous life are ignored.</summary>
    public int Incarnation { get; set; }

    /// <summary>Microseconds between ticks: the node's clock rate (skew).</summary>
    public long TickInterval { get; set; }

    /// <summary>Proposals waiting for their entry to apply: index → (term, client request).</summary>
    public Dictionary<ulong, (ulong Term, ClientRequest Request)> ProposalWaiters { get; } = [];

    /// <summary>Reads waiting for a read index or for applied to reach it.</summary>
    public Dictionary<ulong, ClientRequest> ReadWaiters { get; } = [];

    public List<(ulong Index, ClientRequest Request)> ReadyReads { get; } = [];

    /// <summary>Reads asked of this node while it led, in the current pass of its loop (to spot lease reads).</summary>
    public HashSet<ulong> LeaderReads { get; } = [];

    public void WriteDisk(Ready ready)
    {
        if (ready.EntriesToPersist.Count > 0)
        {
            AppendToDisk(ready.EntriesToPersist, ready.EntriesToPersist.Count);
        }

        if (ready.HardState is { } hs)
        {
            DiskHardState = hs;
        }
    }

    /// <summary>A torn write: only the first <paramref name="count"/> entries reached the disk, no hard state.</summary>
    public void AppendToDisk(IReadOnlyList<Entry> entries, int count)
    {
        if (count == 0)
        {
            return;
        }

        var keep = (int)(entries[0].Index - DiskCompactedIndex - 1);
        if (keep < DiskEntries.Count)
        {
            DiskEntries.RemoveRange(keep, DiskEntries.Count - keep);
        }

        for (var i = 0; i < count; i++)
        {
            DiskEntries.Add(entries[i]);
        }
    }

    public LogState LoadDisk() => new(DiskHardState, DiskCompactedIndex, DiskCompactedTerm, DiskEntries.ToArray(), DiskId);

    /// <summary>Drops disk entries up to <paramref name="index"/>, whose term is <paramref name="term"/>.</summary>
    public void CompactDisk(ulong index, ulong term)
    {
        if (index <= DiskCompactedIndex)
        {
            return;
        }

        DiskEntries.RemoveRange(0, (int)Math.Min((ulong)DiskEntries.Count, index - DiskCompactedIndex));
        DiskCompactedIndex = index;
        DiskCompactedTerm = term;
    }

    /// <summary>Installs a snapshot: it replaces the state machine and the whole log.</summary>
    public void InstallSnapshot(SnapshotMetadata metadata, byte[] data)
    {
        DiskSnapshot = (metadata, data);
        DiskEntries.Clear();
        DiskCompactedIndex = metadata.Index;
        DiskCompactedTerm = metadata.Term;
        RestoreState(data);
    }

    /// <summary>Replaces the disk by an empty one with a new id: everything durable is gone.</summary>
    public void Wipe()
    {
        DiskEntries.Clear();
        DiskHardState = HardState.Empty;
        DiskCompactedIndex = 0;
        DiskCompactedTerm = 0;
        DiskSnapshot = null;
        ReceivedSnapshots.Clear();
        DiskId = ((DiskId + 0x2545F4914F6CDD1DUL) * 0xBF58476D1CE4E5B9UL) | 1;
        Wiped = true;
    }

    /// <summary>A fresh state machine, restored from <paramref name="data"/> when given.</summary>
    public void RestoreState(byte[]? data)
    {
        Sessions = new ClientSessions(NewStateMachine());
        if (data is not null)
        {
            Sessions.Restore(new MemoryStream(data, writable: false));
        }
    }

    /// <summary>What a snapshot of the node holds: the client sessions and the state machine.</summary>
    public byte[] CaptureState() => Write(Sessions.TakeSnapshot());

    /// <summary>The state machine alone, without the sessions, as its own snapshot writes it.</summary>
    public byte[] CaptureMachineState() => Write(Sessions.StateMachine.TakeSnapshot());

    private static byte[] Write(IStateMachineSnapshot snapshot)
    {
        using (snapshot)
        {
            var buffer = new MemoryStream();
            snapshot.WriteTo(buffer);
            return buffer.ToArray();
        }
    }
}

/// <summary>A client operation in flight to a node.</summary>
internal sealed record ClientRequest(SimClient Client, long Attempt);

/// <summary>The runtime's report of a snapshot transfer to <see cref="Follower"/>, delivered to the leader's mailbox.</summary>
internal sealed record SnapshotReport(ulong Follower, bool Succeeded);

/// <summary>A tick delivered through the mailbox, like every other input of the replica loop.</summary>
internal sealed record TickInput
{
    public static TickInput Instance { get; } = new();
}
