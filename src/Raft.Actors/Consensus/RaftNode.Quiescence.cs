using Raft.Actors.Protocol;

namespace Raft.Actors.Consensus;

public sealed partial class RaftNode
{
    private static readonly byte[] s_quiesceContext = "quiesce"u8.ToArray();

    /// <summary>
    /// True on a leader with nothing left to do: every member holds the whole log, everything is
    /// durable, committed and applied, and no read or transfer is pending. A host may then stop
    /// ticking the group (see <see cref="Quiesce"/>).
    /// </summary>
    public bool IsIdleLeader
    {
        get
        {
            if (Role != RaftRole.Leader || LeadTransferee != 0 || !_reads.IsEmpty ||
                _log.Stable != _log.LastIndex || _log.Committed != _log.LastIndex || _log.Applied != _log.Committed)
            {
                return false;
            }

            foreach (var (_, pr) in _tracker.Progress)
            {
                if (pr.Match != _log.LastIndex)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>
    /// An idle leader's last heartbeat before its host stops ticking the group: it carries the
    /// full commit index and a marker (<see cref="IsQuiesceHeartbeat"/>) telling followers that
    /// hold the whole log that they too may stop ticking. Not ticking is always safe in Raft; it
    /// only delays elections, and the host wakes the group on any message or when the leader's
    /// node stops answering. Returns false (and sends nothing) unless <see cref="IsIdleLeader"/>.
    /// </summary>
    public bool Quiesce()
    {
        if (!IsIdleLeader)
        {
            return false;
        }

        BroadcastHeartbeat(s_quiesceContext);
        return true;
    }

    /// <summary>True for the heartbeat a leader sends when it goes quiet (see <see cref="Quiesce"/>).</summary>
    public static bool IsQuiesceHeartbeat(RaftMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.Type == MessageType.Heartbeat && message.Context.Span.SequenceEqual(s_quiesceContext);
    }

    /// <summary>
    /// True on a follower that, having just stepped a quiesce heartbeat from its leader, holds
    /// and has committed the leader's whole log: it may stop ticking until something arrives.
    /// </summary>
    public bool CanQuiesceAfter(RaftMessage quiesceHeartbeat)
    {
        ArgumentNullException.ThrowIfNull(quiesceHeartbeat);
        return IsQuiesceHeartbeat(quiesceHeartbeat) && Role == RaftRole.Follower && Leader == quiesceHeartbeat.From &&
            Term == quiesceHeartbeat.Term && _log.Committed == quiesceHeartbeat.Commit && _log.Committed == _log.LastIndex;
    }
}
