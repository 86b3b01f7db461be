using System.Collections.Concurrent;
using Raft.Actors.Protocol;

namespace Raft.Actors.Runtime;

public sealed partial class RaftHost
{
    /// <summary>
    /// Runs the passes of every hosted replica on a few workers. A worker takes every replica
    /// that has work, runs their passes back to back on one thread, then sends what they
    /// produced in one go: a tick or a frame that touches a thousand groups costs one thread
    /// hand-off and one send per destination, not a thousand of each (TiKV's batch system does
    /// the same). A pass that has to wait for its store is resumed here too, with the other
    /// passes the same write released.
    /// </summary>
    private sealed class Workers
    {
        // A worker sends what it has collected at least this often, so that a long run of passes
        // does not hold back the first ones' messages.
        private const int PassesPerFlush = 256;

        // A queue and a wake-up only for sleeping workers: scheduling is on every message's path,
        // and neither takes a lock while the workers are busy.
        private readonly ConcurrentQueue<RaftReplica> _ready = new();
        private readonly ConcurrentQueue<Action> _resumed = new();
        private readonly SemaphoreSlim _wake = new(0);
        private readonly Outbox _outbox;
        private readonly Task[] _loops;
        private int _sleeping;
        private volatile bool _completed;

        public Workers(Outbox outbox, int count)
        {
            _outbox = outbox;
            _loops = [.. Enumerable.Range(0, count).Select(_ => Task.Run(RunAsync))];
        }

        /// <summary>Queues a replica whose pass is due (it is queued at most once at a time); once the workers stopped, runs it here.</summary>
        public void Schedule(RaftReplica replica)
        {
            if (_completed)
            {
                replica.RunPass();
                return;
            }

            _ready.Enqueue(replica);
            Wake();
        }

        /// <summary>Queues the rest of a pass whose store write completed; once the workers stopped, runs it here.</summary>
        public void Resume(Action continuation)
        {
            if (_completed)
            {
                continuation();
                return;
            }

            _resumed.Enqueue(continuation);
            Wake();
        }

        private void Wake()
        {
            if (Volatile.Read(ref _sleeping) > 0)
            {
                _wake.Release();
            }

            if (_completed)
            {
                // The workers stopped between the caller's check and its enqueue: run what they left.
                RunLeftovers();
            }
        }

        /// <summary>Lets the workers finish what is queued, then stop.</summary>
        public async Task CompleteAsync()
        {
            _completed = true;
            _wake.Release(_loops.Length);
            await Task.WhenAll(_loops).ConfigureAwait(false);
            RunLeftovers();
        }

        private void RunLeftovers()
        {
            while (RunOne())
            {
            }
        }

        /// <summary>Runs one resumed pass, else one due pass; false when there is neither.</summary>
        private bool RunOne()
        {
            if (_resumed.TryDequeue(out var continuation))
            {
                continuation();
                return true;
            }

            if (_ready.TryDequeue(out var replica))
            {
                replica.RunPass();
                return true;
            }

            return false;
        }

        private async Task RunAsync()
        {
            var collected = new List<RaftMessage>();
            while (true)
            {
                var passes = 0;
                _outbox.Collect(collected);
                while (RunOne())
                {
                    if (++passes % PassesPerFlush == 0)
                    {
                        _outbox.Flush();
                        _outbox.Collect(collected);
                    }
                }

                _outbox.Flush();
                if (_completed)
                {
                    return;
                }

                // Announce the sleep before the last look at the queue: a replica queued after that
                // look sees the sleeper and wakes it.
                Interlocked.Increment(ref _sleeping);
                if (_ready.IsEmpty && _resumed.IsEmpty && !_completed)
                {
                    await _wake.WaitAsync().ConfigureAwait(false);
                }

                Interlocked.Decrement(ref _sleeping);
            }
        }
    }
}
