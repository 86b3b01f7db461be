using Raft.Actors.Protocol;

namespace Raft.Actors.Runtime;

/// <summary>
/// Carries replica messages between nodes: Orleans grain calls, Akka.Remote, TCP, or memory.
/// Delivery is best effort: messages may be lost, duplicated, delayed or reordered, and Raft
/// copes with all of it. Inbound messages are handed to <see cref="RaftReplica.Deliver"/>.
/// </summary>
public interface IRaftTransport
{
    /// <summary>
    /// Queues messages for delivery and returns at once (never blocks the replica loop). The
    /// messages may be for several nodes; a transport sends one frame per destination. Called
    /// from several threads at once (a host's workers, its timers, snapshot transfers).
    /// </summary>
    void Send(IReadOnlyList<RaftMessage> messages);
}
