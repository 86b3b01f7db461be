using Raft.Actors.Protocol;

namespace Raft.Actors.Runtime;

/// <summary>
/// Where a transport hands the messages it receives: one <see cref="RaftReplica"/>, or a host
/// that routes each message to its group's replica by <see cref="RaftMessage.Group"/>.
/// </summary>
public interface IRaftMessageSink
{
    /// <summary>
    /// Takes one message from a peer. Called from the transport's receive loops, several of them
    /// at once: it must be thread-safe, must not block, and should not throw (a transport logs
    /// what it throws and carries on).
    /// </summary>
    void Deliver(RaftMessage message);
}
