using Akka.Actor;
using Akka.Event;
using Raft.Actors.Protocol;
using Raft.Actors.Routing;
using Raft.Akka.Serialization;

namespace Raft.Akka.Runtime;

/// <summary>
/// The node's entry point, at <c>/system/raft</c>: takes replica frames and client requests from
/// other nodes and hands them to this node's <see cref="Actors.Runtime.RaftHost"/>, and stops the
/// host when it stops. What arrives from outside the cluster is refused with a logged reason: a
/// frame of another cluster id, from a node id that is not a member, from an address that is not
/// the one configured for the node it claims to be, or whose messages name other nodes.
/// </summary>
internal sealed class RaftNodeActor : ReceiveActor
{
    private readonly RaftExtension _raft;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HashSet<string> _reported = [];

    public RaftNodeActor(RaftExtension raft)
    {
        _raft = raft;
        Receive<RaftFrame>(OnFrame);
        Receive<RaftRequest>(OnRequest);
    }

    public static Props Props(RaftExtension raft) => global::Akka.Actor.Props.Create(() => new RaftNodeActor(raft));

    protected override void PostStop()
    {
        // Coordinated shutdown normally stopped the host already; this covers an actor system
        // terminated some other way. Waiting here closes the stores before the system is gone.
        _raft.StopAsync().GetAwaiter().GetResult();
        base.PostStop();
    }

    private void OnFrame(RaftFrame frame)
    {
        var settings = _raft.Settings;
        if (!string.Equals(frame.ClusterId, settings.ClusterId, StringComparison.Ordinal))
        {
            Reject($"it is for cluster \"{frame.ClusterId}\" and this node is in cluster \"{settings.ClusterId}\"");
            return;
        }

        var expected = _raft.Peers.AddressOf(frame.From);
        if (expected is null)
        {
            Reject($"node {frame.From} is not a member");
            return;
        }

        if (!Sender.Path.Address.Equals(expected))
        {
            Reject($"it claims to come from node {frame.From}, whose configured address is {expected}");
            return;
        }

        IReadOnlyList<RaftMessage> messages;
        try
        {
            messages = MessageCodec.Decode(frame.Frame);
        }
        catch (ProtocolException ex)
        {
            Reject($"it is malformed ({ex.Message})");
            return;
        }

        var host = _raft.Host;
        foreach (var message in messages)
        {
            if (message.From != frame.From || message.To != settings.NodeId)
            {
                Reject($"a message in it goes from node {message.From} to node {message.To}, not from node {frame.From} to this node {settings.NodeId}");
                return;
            }
        }

        if (host is null)
        {
            return;
        }

        foreach (var message in messages)
        {
            host.Deliver(message);
        }
    }

    private void OnRequest(RaftRequest request)
    {
        if (!string.Equals(request.ClusterId, _raft.Settings.ClusterId, StringComparison.Ordinal))
        {
            Reject($"a request is for cluster \"{request.ClusterId}\" and this node is in cluster \"{_raft.Settings.ClusterId}\"");
            Sender.Tell(new Status.Failure(new InvalidOperationException($"Raft node {_raft.NodeId} is in cluster \"{_raft.Settings.ClusterId}\", not \"{request.ClusterId}\".")));
            return;
        }

        ReplicaRequest decoded;
        try
        {
            decoded = RoutingCodec.DecodeRequest(request.Request);
        }
        catch (ProtocolException ex)
        {
            Reject($"a request is malformed ({ex.Message})");
            Sender.Tell(new Status.Failure(ex));
            return;
        }

        ReplicaRequestHandler.HandleAsync(_raft.Host?.GetReplica(decoded.Group), decoded)
            .PipeTo(Sender, Self, answer => new RaftAnswer(RoutingCodec.Encode(answer)), ex => new Status.Failure(ex));
    }

    private void Reject(string reason)
    {
        _raft.CountRejected();
        var from = Sender.Path.Address.ToString();
        // One warning per sender and reason: a misconfigured peer sends a heartbeat every 200 ms.
        if (_reported.Count < 1000 && _reported.Add(from + "|" + reason))
        {
            _log.Warning("Raft node {0} refused what {1} sent: {2}. Check {3}.cluster-id and {3}.members on both nodes.", _raft.NodeId, from, reason, RaftSettings.Section);
        }
    }
}
