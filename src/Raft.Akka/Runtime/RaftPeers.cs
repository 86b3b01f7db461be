using Akka.Actor;

namespace Raft.Akka.Runtime;

/// <summary>
/// Where each configured node's raft actor is: <c>{member address}/system/raft</c>. Membership is
/// manual (<see cref="RaftSettings.Members"/>); a node id that is not a member has no entry, and
/// what is sent to it is dropped.
/// </summary>
/// <remarks>Immutable; thread-safe.</remarks>
internal sealed class RaftPeers
{
    /// <summary>The name of the raft actor under <c>/system</c>.</summary>
    public const string ActorName = "raft";

    private readonly Dictionary<ulong, (Address Address, ActorSelection Actor)> _nodes;

    public RaftPeers(ActorSystem system, RaftSettings settings)
    {
        _nodes = settings.MemberAddresses().ToDictionary(
            m => m.Key,
            m => (m.Value, system.ActorSelection(new RootActorPath(m.Value) / "system" / ActorName)));
    }

    /// <summary>The raft actor of <paramref name="node"/>, or null when it is not a member.</summary>
    public ActorSelection? ActorOf(ulong node) => _nodes.TryGetValue(node, out var n) ? n.Actor : null;

    /// <summary>The configured address of <paramref name="node"/>, or null when it is not a member.</summary>
    public Address? AddressOf(ulong node) => _nodes.TryGetValue(node, out var n) ? n.Address : null;
}
