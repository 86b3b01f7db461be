namespace Raft.Actors.Consensus;

/// <summary>
/// Deliberately wrong rules that prove the simulator's checkers can fail. Internal: reachable
/// only from Raft.Actors.Testing and the tests, never from a user's configuration.
/// </summary>
[Flags]
internal enum PlantedBug
{
    None = 0,

    /// <summary>Commit an entry of an earlier term by counting replicas (breaks Raft §5.4.2, Figure 8).</summary>
    PriorTermCommit = 1,

    /// <summary>Send a vote before the vote is durable.</summary>
    VoteBeforePersist = 2,

    /// <summary>Answer a read index from local state without confirming leadership with a quorum.</summary>
    StaleRead = 4,

    /// <summary>Propose a configuration change while another is uncommitted, or before the leader committed an entry of its term.</summary>
    UnguardedConfChange = 8,

    /// <summary>Lease reads with a lease of a full election timeout: no allowance for clock drift.</summary>
    LeaseNoDrift = 16,
}
