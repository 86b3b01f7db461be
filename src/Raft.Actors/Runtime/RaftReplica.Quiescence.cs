using Raft.Actors.Consensus;
using Raft.Actors.Protocol;

namespace Raft.Actors.Runtime;

public sealed partial class RaftReplica
{
    private readonly ReplicaHosting? _hosting;
    private int _quietTicks;
    private volatile bool _asleep;

    /// <summary>
    /// True while the group is quiescent on this node: its leader had nothing to do and told its
    /// followers so, and the host stopped ticking it. Anything that arrives wakes it.
    /// </summary>
    public bool IsAsleep => _asleep;

    /// <summary>Wakes the group (the host calls this when the leader's node stopped answering).</summary>
    internal void Wake() => Post(WakeSignal.Instance);

    /// <summary>
    /// Keeps the sleep state in line with what just arrived: an item that asks for work wakes
    /// the group; acknowledgements of the leader's own heartbeats and the quiesce heartbeat do not.
    /// </summary>
    private void WakeUnlessQuiet(object item)
    {
        if (_asleep && item is not TickSignal && !(item is RaftMessage m && IsQuietTraffic(m)))
        {
            SetAsleep(false);
        }
    }

    private static bool IsQuietTraffic(RaftMessage m) =>
        RaftNode.IsQuiesceHeartbeat(m) || (m.Type == MessageType.HeartbeatResponse && m.Context.Length != 8);

    /// <summary>After a tick on a hosted leader: after enough idle ticks, quiesce the group.</summary>
    private void MaybeQuiesceLeader(RaftNode node)
    {
        if (_hosting is not { QuiesceAfterTicks: > 0 } hosting || _asleep)
        {
            return;
        }

        var idle = node.IsIdleLeader && _proposals.Count == 0 && _reads.Count == 0 && _readyReads.Count == 0 && !_snapshotting && _transfers.Count == 0;
        _quietTicks = idle ? _quietTicks + 1 : 0;
        if (_quietTicks >= hosting.QuiesceAfterTicks && node.Quiesce())
        {
            SetAsleep(true);
        }
    }

    /// <summary>After stepping a quiesce heartbeat on a hosted follower that holds the whole log: sleep too.</summary>
    private void MaybeQuiesceFollower(RaftNode node, RaftMessage message)
    {
        if (_hosting is { QuiesceAfterTicks: > 0 } && node.CanQuiesceAfter(message))
        {
            SetAsleep(true);
        }
    }

    private void SetAsleep(bool asleep)
    {
        _asleep = asleep;
        _quietTicks = 0;
        _hosting?.SleepChanged(this, asleep);
    }

    /// <summary>How a <see cref="RaftHost"/> drives a replica it hosts.</summary>
    /// <param name="QuiesceAfterTicks">Idle ticks after which a leader quiesces its group (0 = never).</param>
    /// <param name="SleepChanged">Told when the group goes to sleep (true) or wakes (false).</param>
    /// <param name="MembersChanged">Told when the group's members (as published) changed.</param>
    /// <param name="Schedule">Runs the replica's next pass (<see cref="RunPass"/>) on one of the host's workers.</param>
    /// <param name="Resume">Runs the rest of a pass that waited for its store on one of the host's workers.</param>
    internal sealed record ReplicaHosting(int QuiesceAfterTicks, Action<RaftReplica, bool> SleepChanged, Action MembersChanged, Action<RaftReplica> Schedule, Action<Action> Resume);

    private sealed class WakeSignal
    {
        public static WakeSignal Instance { get; } = new();
    }
}
