using Raft.Actors.Protocol;

namespace Raft.Actors.Runtime;

/// <summary>
/// The sending side every actor-framework transport shares: the messages of one
/// <see cref="Send"/> are grouped by destination node, encoded once per destination
/// (<see cref="MessageCodec"/>), and handed to <see cref="SendFrame"/> as one frame. A node the
/// framework cannot reach now is skipped and counted: Raft treats it like any lost message.
/// </summary>
/// <remarks>Thread-safe as long as the overrides are; <see cref="Send"/> never throws.</remarks>
public abstract class FrameTransport : IRaftTransport
{
    private long _unreachable;

    /// <summary>Messages dropped because their node was not reachable (<see cref="CanReach"/> was false).</summary>
    public long Unreachable => Interlocked.Read(ref _unreachable);

    /// <inheritdoc />
    public void Send(IReadOnlyList<RaftMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
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
            if (!CanReach(node))
            {
                Interlocked.Add(ref _unreachable, batch.Count);
                continue;
            }

            try
            {
                SendFrame(node, MessageCodec.Encode(batch));
            }
            catch (Exception ex)
            {
                // The framework stopping under us, or a message this node should never have built:
                // either way the frame is lost, which Raft survives; the replica loop must not stop.
                OnSendFailed(node, ex);
            }
        }
    }

    /// <summary>True when a frame for <paramref name="node"/> can be handed to the framework now (checked before encoding).</summary>
    protected abstract bool CanReach(ulong node);

    /// <summary>Hands one encoded frame for <paramref name="node"/> to the framework; must not block. May throw (see <see cref="OnSendFailed"/>).</summary>
    protected abstract void SendFrame(ulong node, byte[] frame);

    /// <summary>Called when <see cref="SendFrame"/> threw, or (by the override) when an asynchronous send failed; the frame is lost.</summary>
    protected abstract void OnSendFailed(ulong node, Exception exception);
}
