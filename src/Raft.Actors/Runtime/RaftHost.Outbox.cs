using System.Threading.Channels;
using Raft.Actors.Protocol;

namespace Raft.Actors.Runtime;

public sealed partial class RaftHost
{
    /// <summary>
    /// The transport every hosted replica sends through: whatever the replicas queued while
    /// the previous send ran goes out in one <see cref="IRaftTransport.Send"/>, so a
    /// destination gets one frame for many groups.
    /// </summary>
    private sealed class Outbox : IRaftTransport
    {
        private readonly IRaftTransport _inner;
        private readonly Channel<IReadOnlyList<RaftMessage>> _queue = Channel.CreateUnbounded<IReadOnlyList<RaftMessage>>(new UnboundedChannelOptions { SingleReader = true });

        public Outbox(IRaftTransport inner)
        {
            _inner = inner;
            _ = Task.Run(PumpAsync);
        }

        /// <summary>Stops the pump once what is queued has been sent.</summary>
        public void Complete() => _queue.Writer.TryComplete();

        public void Send(IReadOnlyList<RaftMessage> messages)
        {
            if (messages.Count > 0)
            {
                _queue.Writer.TryWrite(messages);
            }
        }

        private async Task PumpAsync()
        {
            var batch = new List<RaftMessage>();
            while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (_queue.Reader.TryRead(out var messages))
                {
                    batch.AddRange(messages);
                }

                _inner.Send(batch.ToArray());
                batch.Clear();
            }
        }
    }
}
