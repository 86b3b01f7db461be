using Raft.Actors.Protocol;

namespace Raft.Actors.Runtime;

public sealed partial class RaftHost
{
    /// <summary>
    /// The transport every hosted replica sends through. While a worker runs a batch of passes,
    /// what those passes send is collected and leaves in one <see cref="IRaftTransport.Send"/>,
    /// so a destination gets one frame for many groups; anything sent elsewhere (timers,
    /// snapshot transfers, a pass resumed after a store write) goes straight through.
    /// </summary>
    private sealed class Outbox(IRaftTransport inner) : IRaftTransport
    {
        // The batch the current thread collects into, and for which host: a worker's batch runs
        // synchronously on one thread, and nothing of another host runs inside it.
        [ThreadStatic]
        private static (Outbox Owner, List<RaftMessage> Messages)? s_threadBatch;

        public void Send(IReadOnlyList<RaftMessage> messages)
        {
            if (messages.Count == 0)
            {
                return;
            }

            if (s_threadBatch is { } batch && ReferenceEquals(batch.Owner, this))
            {
                batch.Messages.AddRange(messages);
            }
            else
            {
                inner.Send(messages);
            }
        }

        /// <summary>From now until <see cref="Flush"/>, this thread's sends are collected in <paramref name="buffer"/>.</summary>
        public void Collect(List<RaftMessage> buffer) => s_threadBatch = (this, buffer);

        /// <summary>Sends what this thread collected, in one call, and stops collecting.</summary>
        public void Flush()
        {
            if (s_threadBatch is { } batch && ReferenceEquals(batch.Owner, this))
            {
                s_threadBatch = null;
                if (batch.Messages.Count > 0)
                {
                    inner.Send(batch.Messages.ToArray());
                    batch.Messages.Clear();
                }
            }
        }
    }
}
