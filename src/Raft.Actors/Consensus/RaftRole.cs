namespace Raft.Actors.Consensus;

/// <summary>The role a replica plays in its current term.</summary>
public enum RaftRole : byte
{
    /// <summary>Follows a leader (or waits for one).</summary>
    Follower,

    /// <summary>Asks whether it could win before disturbing anyone's term (PreVote, thesis §9.6).</summary>
    PreCandidate,

    /// <summary>Campaigns for votes in a new term (Raft §5.2).</summary>
    Candidate,

    /// <summary>Accepts proposals and replicates the log.</summary>
    Leader,
}
