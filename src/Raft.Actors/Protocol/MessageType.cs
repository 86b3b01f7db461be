namespace Raft.Actors.Protocol;

/// <summary>The kinds of <see cref="RaftMessage"/>. Values are part of the wire format.</summary>
public enum MessageType : byte
{
    /// <summary>Leader → follower: entries to append (Raft §5.3), also the probe.</summary>
    Append = 1,

    /// <summary>Follower → leader: accept or reject of an <see cref="Append"/>.</summary>
    AppendResponse = 2,

    /// <summary>Candidate → all: request for a vote (Raft §5.2).</summary>
    Vote = 3,

    /// <summary>Answer to <see cref="Vote"/>.</summary>
    VoteResponse = 4,

    /// <summary>Would-be candidate → all: would you vote for me? Does not disturb terms (thesis §9.6).</summary>
    PreVote = 5,

    /// <summary>Answer to <see cref="PreVote"/>.</summary>
    PreVoteResponse = 6,

    /// <summary>Leader → follower: I am alive; carries commit and an optional read context.</summary>
    Heartbeat = 7,

    /// <summary>Answer to <see cref="Heartbeat"/>.</summary>
    HeartbeatResponse = 8,

    /// <summary>Follower → leader: a linearizable read request to be given a read index (thesis §6.4).</summary>
    ReadIndex = 9,

    /// <summary>Leader → follower: the read index for a forwarded read.</summary>
    ReadIndexResponse = 10,

    /// <summary>Leader → transferee: start an election now (thesis §3.10).</summary>
    TimeoutNow = 11,

    /// <summary>Leader → follower: a snapshot (metadata in the message, data out of band).</summary>
    Snapshot = 12,

    /// <summary>
    /// Leader → follower, runtime only (never stepped into the core): part <see cref="RaftMessage.Index"/>
    /// of the snapshot named by <see cref="RaftMessage.Snapshot"/>, its stored frames in
    /// <see cref="RaftMessage.Context"/>; an empty context only asks how much the follower holds.
    /// </summary>
    SnapshotChunk = 13,

    /// <summary>
    /// Answer to <see cref="SnapshotChunk"/>: <see cref="RaftMessage.Index"/> is the number of parts
    /// the follower holds durably (where the leader resumes); <see cref="RaftMessage.Reject"/> when
    /// the part did not check out.
    /// </summary>
    SnapshotChunkResponse = 14,

    /// <summary>
    /// Member → node whose <see cref="RaftMessage.DiskId"/> differs from the one the group recorded
    /// for it: you lost your disk; rejoin under a new id. <see cref="RaftMessage.Context"/> holds
    /// the recorded disk id (8 bytes, big-endian).
    /// </summary>
    Refused = 15,

    /// <summary>
    /// Host → host, runtime only (never stepped into a core; <see cref="RaftMessage.Group"/> is
    /// unused): I am alive. One per node pair stands for every group the two share, so groups
    /// that went quiet need no heartbeats of their own.
    /// </summary>
    NodeHeartbeat = 16,
}
