using System.Collections.Concurrent;

namespace Raft.Actors.Runtime;

public sealed partial class RaftHost
{
    /// <summary>When each peer node was last heard from, and which peers newly went silent.</summary>
    private sealed class Liveness(RaftHostOptions options, TimeProvider time)
    {
        private readonly ConcurrentDictionary<ulong, long> _lastHeard = new();
        private readonly HashSet<ulong> _down = [];
        private readonly long _startedAt = time.GetTimestamp();

        public void Heard(ulong peer) => _lastHeard[peer] = time.GetTimestamp();

        /// <summary>Peers silent for longer than the timeout that were not already reported (a peer never heard counts from the start).</summary>
        public IReadOnlySet<ulong> NewlyDown(IEnumerable<ulong> peers)
        {
            var newly = new HashSet<ulong>();
            lock (_down)
            {
                foreach (var peer in peers)
                {
                    var silent = time.GetElapsedTime(_lastHeard.GetValueOrDefault(peer, _startedAt)) > options.LivenessTimeout;
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
