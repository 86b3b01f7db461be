using Microsoft.Extensions.Logging;
using Raft.Actors.Protocol;
using Raft.Actors.Runtime;

namespace Raft.Orleans.Runtime;

/// <summary>
/// Replica traffic over Orleans: the messages of one pass are grouped by destination node,
/// encoded once per destination (<see cref="MessageCodec"/>) and sent as one one-way
/// <see cref="IRaftSiloService.Deliver"/> call to the silo that is that node. A node with no
/// active silo is skipped: Raft treats it like any lost message.
/// </summary>
/// <remarks>Thread-safe; <see cref="Send"/> never blocks and never throws.</remarks>
internal sealed partial class GrainServiceTransport(RaftSiloServiceClient client, SiloDirectory directory, ILogger<GrainServiceTransport> logger) : IRaftTransport
{
    private long _unreachable;

    /// <summary>Messages dropped because their node had no active silo.</summary>
    public long Unreachable => Interlocked.Read(ref _unreachable);

    /// <inheritdoc />
    public void Send(IReadOnlyList<RaftMessage> messages)
    {
        if (messages.Count == 0)
        {
            return;
        }

        var byNode = new Dictionary<ulong, List<RaftMessage>>();
        foreach (var message in messages)
        {
            if (!byNode.TryGetValue(message.To, out var batch))
            {
                byNode[message.To] = batch = [];
            }

            batch.Add(message);
        }

        foreach (var (node, batch) in byNode)
        {
            var silo = directory.SiloOf(node);
            if (silo is null)
            {
                Interlocked.Add(ref _unreachable, batch.Count);
                continue;
            }

            try
            {
                Observe(client.On(silo).Deliver(MessageCodec.Encode(batch)), node);
            }
            catch (Exception ex)
            {
                // The silo stopping under us, or a message this node should never have built: either
                // way the frame is lost, which Raft survives; the replica loop must not stop for it.
                LogSendFailed(node, ex);
            }
        }
    }

    private void Observe(Task sent, ulong node)
    {
        if (!sent.IsCompletedSuccessfully)
        {
            sent.ContinueWith(t => LogSendFailed(node, t.Exception!), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "A frame of replica messages for node {Node} was not sent")]
    private partial void LogSendFailed(ulong node, Exception exception);
}
