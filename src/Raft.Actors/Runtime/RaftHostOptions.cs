namespace Raft.Actors.Runtime;

/// <summary>Settings of a <see cref="RaftHost"/>.</summary>
public sealed class RaftHostOptions
{
    /// <summary>This node's stable id: every group hosted here has a replica with this id.</summary>
    public required ulong NodeId { get; init; }

    /// <summary>One tick for all awake groups every this long (the groups' <see cref="RaftReplicaOptions.TickInterval"/> is not used).</summary>
    public TimeSpan TickInterval { get; init; } = RaftReplicaOptions.DefaultTickInterval;

    /// <summary>A leader with nothing to do for this many ticks quiesces its group (0 = never).</summary>
    public int QuiesceAfterTicks { get; init; } = 20;

    /// <summary>How often this node tells every peer node it is alive.</summary>
    public TimeSpan LivenessInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>A peer not heard from for this long is taken for down: the quiescent groups it led wake up and elect.</summary>
    public TimeSpan LivenessTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Threads that run the hosted replicas' passes (default: one per processor). A pass whose
    /// store writes synchronously holds its worker for the write, so hosts whose groups each
    /// have their own synchronous store (such as <see cref="Storage.FileLogStore"/>) may want more.
    /// </summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Directory for this node's durable state, or null. Groups added without a log store
    /// (<see cref="RaftHost.AddGroupAsync(RaftReplicaOptions, StateMachines.IRaftStateMachine, Consensus.IRandomSource?, CancellationToken)"/>)
    /// keep their logs in one <see cref="Storage.SharedLog"/> in its <c>log</c> subdirectory, so
    /// one fdatasync covers the writes of every group. Must not be shared with another node.
    /// </summary>
    public string? DataDirectory { get; init; }

    /// <summary>
    /// Size of the segment files of the shared log in <see cref="DataDirectory"/> (see
    /// <see cref="Storage.FileLogStoreOptions.SegmentSize"/>): a multiple of 4 KiB in
    /// [64 KiB, 1 GiB]. Two are preallocated at a time; compaction frees whole segments.
    /// </summary>
    public long LogSegmentSize { get; init; } = Storage.FileLogStoreOptions.DefaultSegmentSize;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (NodeId == 0)
        {
            throw new ArgumentException("RaftHostOptions.NodeId must not be 0.", nameof(NodeId));
        }

        if (TickInterval <= TimeSpan.Zero || LivenessInterval <= TimeSpan.Zero || QuiesceAfterTicks < 0)
        {
            throw new ArgumentException($"RaftHostOptions.TickInterval ({TickInterval}) and LivenessInterval ({LivenessInterval}) must be positive and QuiesceAfterTicks ({QuiesceAfterTicks}) not negative.", nameof(TickInterval));
        }

        if (Workers < 1)
        {
            throw new ArgumentException($"RaftHostOptions.Workers must be at least 1 (was {Workers}).", nameof(Workers));
        }

        if (DataDirectory is not null && string.IsNullOrWhiteSpace(DataDirectory))
        {
            throw new ArgumentException($"RaftHostOptions.DataDirectory ('{DataDirectory}') must be a path, or null for none.", nameof(DataDirectory));
        }

        if (LogSegmentSize < Storage.FileLogStoreOptions.MinSegmentSize || LogSegmentSize > Storage.FileLogStoreOptions.MaxSegmentSize || LogSegmentSize % 4096 != 0)
        {
            throw new ArgumentException($"RaftHostOptions.LogSegmentSize ({LogSegmentSize}) must be a multiple of 4096 in [{Storage.FileLogStoreOptions.MinSegmentSize}, {Storage.FileLogStoreOptions.MaxSegmentSize}].", nameof(LogSegmentSize));
        }

        if (LivenessTimeout <= LivenessInterval)
        {
            throw new ArgumentException($"RaftHostOptions.LivenessTimeout ({LivenessTimeout}) must exceed LivenessInterval ({LivenessInterval}).", nameof(LivenessTimeout));
        }
    }
}
