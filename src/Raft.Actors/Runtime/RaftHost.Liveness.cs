using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Raft.Actors.Runtime;

public sealed partial class RaftHost
{
    /// <summary>When each peer node was last heard from, and which peers newly went silent.</summary>
    private sealed class Liveness(RaftHostOptions options, TimeProvider time)
    {
        // One box per peer, written without a lock: every inbound message passes through Heard.
        private readonly ConcurrentDictionary<ulong, StrongBox<long>> _lastHeard = new();
        private readonly HashSet<ulong> _down = [];
        private readonly long _startedAt = time.GetTimestamp();

        public void Heard(ulong peer)
        {
            var box = _lastHeard.TryGetValue(peer, out var known) ? known : _lastHeard.GetOrAdd(peer, _ => new StrongBox<long>());
            Volatile.Write(ref box.Value, time.GetTimestamp());
        }

        /// <summary>Peers silent for longer than the timeout that were not already reported (a peer never heard counts from the start).</summary>
        public IReadOnlySet<ulong> NewlyDown(IEnumerable<ulong> peers)
        {
            var newly = new HashSet<ulong>();
            lock (_down)
            {
                foreach (var peer in peers)
                {
                    var heard = _lastHeard.TryGetValue(peer, out var box) ? Volatile.Read(ref box.Value) : _startedAt;
                    var silent = time.GetElapsedTime(heard) > options.LivenessTimeout;
                    if (!silent)
                    {
                        _down.Remove(peer);
                    }
                    else if (_down.Add(peer))
                    {
                        newly.Add(peer);
                    }
                }
            }

            return newly;
        }
    }
}
