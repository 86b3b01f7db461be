using Raft.Actors.Protocol;

namespace Raft.Actors.Consensus;

public sealed partial class RaftNode
{
    private static readonly byte[] s_transferContext = "transfer"u8.ToArray();
    private int _transferElapsed;
    private bool _leaseForfeited;

    /// <summary>The voter leadership is being handed to (0 = no transfer in progress).</summary>
    public ulong LeadTransferee { get; private set; }

    /// <summary>
    /// Hands leadership to <paramref name="target"/>, or to the most caught-up voter when 0
    /// (thesis §3.10): the leader stops taking proposals, brings the target up to date and tells
    /// it to campaign at once (TimeoutNow). The transfer is abandoned after an election timeout;
    /// its outcome shows as a change of <see cref="Leader"/>.
    /// </summary>
    public ProposeResult TransferLeadership(ulong target = 0)
    {
        if (Role != RaftRole.Leader)
        {
            return ProposeResult.NotLeader(Leader);
        }

        target = target == 0 ? MostCaughtUpVoter() : target;
        if (target == 0)
        {
            return ProposeResult.Invalid(Id, "there is no other voter to hand leadership to");
        }

        if (target == Id)
        {
            return ProposeResult.Invalid(Id, $"node {Id} is already the leader");
        }

        if (!_log.Configuration.IsVoter(target) || !_tracker.Progress.TryGetValue(target, out var pr))
        {
            return ProposeResult.Invalid(Id, $"node {target} is not a voter of {_log.Configuration}");
        }

        if (LeadTransferee != 0 && LeadTransferee != target)
        {
            AbortLeadershipTransfer();
        }

        LeadTransferee = target;
        _transferElapsed = 0;
        if (pr.Match == _log.LastIndex)
        {
            SendTimeoutNow(target);
        }
        else
        {
            SendAppend(target, pr, sendIfEmpty: true);
        }

        return ProposeResult.Accepted(0, Term);
    }

    /// <summary>Gives up a transfer in progress; the leader takes proposals again.</summary>
    public void AbortLeadershipTransfer()
    {
        LeadTransferee = 0;
        _transferElapsed = 0;
    }

    private string? TransferInProgress =>
        LeadTransferee == 0 ? null : $"leadership is being transferred to node {LeadTransferee}";

    /// <summary>Leader tick: a transfer that did not finish within an election timeout is abandoned.</summary>
    private void TickTransfer()
    {
        if (LeadTransferee != 0 && ++_transferElapsed >= _options.ElectionTicks)
        {
            AbortLeadershipTransfer();
        }
    }

    /// <summary>The transferee caught up: tell it to campaign.</summary>
    private void MaybeSendTimeoutNow(ulong from, Progress pr)
    {
        if (from == LeadTransferee && pr.Match == _log.LastIndex)
        {
            SendTimeoutNow(from);
        }
    }

    /// <summary>
    /// Tells <paramref name="to"/> to campaign at once. Its vote requests will ask voters to set
    /// their leases aside, and may arrive at any time, even after the transfer was abandoned:
    /// this leader trusts its lease no more in this term.
    /// </summary>
    private void SendTimeoutNow(ulong to)
    {
        _leaseForfeited = true;
        Send(new RaftMessage { Type = MessageType.TimeoutNow, To = to });
    }

    /// <summary>
    /// TimeoutNow from our leader: campaign at once, without a pre-vote, asking voters to set
    /// aside the leader lease they keep with CheckQuorum (the leader itself asked for this).
    /// </summary>
    private void HandleTimeoutNow()
    {
        if (IsPromotable)
        {
            Campaign(preVote: false, transfer: true);
        }
    }

    private static bool IsTransferVote(RaftMessage m) => m.Context.Span.SequenceEqual(s_transferContext);
}
