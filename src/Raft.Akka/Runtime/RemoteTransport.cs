using Akka.Actor;
using Akka.Event;
using Raft.Actors.Runtime;
using Raft.Akka.Serialization;

namespace Raft.Akka.Runtime;

/// <summary>
/// Replica traffic over Akka.Remote: one frame per destination node (<see cref="FrameTransport"/>),
/// told as one <see cref="RaftFrame"/> to that node's raft actor, with this node's raft actor as
/// the sender (the receiver checks the sender's address against the node id it claims). A node
/// that is not a configured member, or this node itself, is skipped.
/// </summary>
/// <remarks>Thread-safe; never blocks (a tell).</remarks>
internal sealed class RemoteTransport(RaftSettings settings, RaftPeers peers, ILoggingAdapter log) : FrameTransport
{
    private IActorRef _self = ActorRefs.Nobody;

    /// <summary>The raft actor that frames are sent from; set once it exists.</summary>
    public IActorRef Self
    {
        get => Volatile.Read(ref _self);
        set => Volatile.Write(ref _self, value);
    }

    /// <inheritdoc />
    protected override bool CanReach(ulong node) => node != settings.NodeId && peers.ActorOf(node) is not null;

    /// <inheritdoc />
    protected override void SendFrame(ulong node, byte[] frame) =>
        peers.ActorOf(node)!.Tell(new RaftFrame(settings.ClusterId, settings.NodeId, frame), Self);

    /// <inheritdoc />
    protected override void OnSendFailed(ulong node, Exception exception) =>
        log.Debug("A frame of replica messages for node {0} was not sent: {1}", node, exception.Message);
}
