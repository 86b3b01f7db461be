using Raft.Actors.Consensus;
using Raft.Actors.Protocol;

namespace Raft.Actors.Testing.Simulation;

/// <summary>
/// Ongaro's one-at-a-time bug (raft-dev, 2015; PITFALLS 3), played on purpose: a leader L of
/// four voters promotes a learner X and only X hears of it; the other three elect M, and M at
/// once proposes to remove L, replicating to one of the two others only. Then L, X and the
/// third voter B meet again. If M's change went in before M committed an entry of its term,
/// both changes commit under quorums that do not overlap ({M, A} of the three-voter
/// configuration, {L, X, B} of the five-voter one) and the group forgets a committed entry.
/// With the guard, M stays Busy: its term's no-op needs three of the four voters.
/// </summary>
public sealed partial class RaftSimulation
{
    private OneAtATimePlay? _oneAtATime;

    private void StartOneAtATimeScenario()
    {
        if (_now >= _faultEnd - (2_500 * Millisecond) || !BeginScenario("one-at-a-time"))
        {
            return;
        }

        _oneAtATime = new OneAtATimePlay { Deadline = _now + (2_500 * Millisecond) };
        Schedule(Millisecond, PollOneAtATime);
    }

    private void PollOneAtATime()
    {
        var play = _oneAtATime;
        if (play is null)
        {
            return;
        }

        if (_now > play.Deadline)
        {
            EndScenario($"one-at-a-time gave up at step {play.Step}");
            return;
        }

        switch (play.Step)
        {
            case OneAtATimeStep.Prepare:
                PrepareOneAtATime(play);
                break;
            case OneAtATimeStep.Spread when _now >= play.StepEnd || (NodeOf(play.Joiner).IsUp && NodeOf(play.Joiner).Raft.LastIndex >= play.PromotionIndex):
                // X has the promotion (or had its chance): now L and X are alone together.
                foreach (var n in _nodes)
                {
                    if (n.Id != play.Leader && n.Id != play.Joiner)
                    {
                        CutBothWays(play.Joiner, n.Id);
                    }
                }

                play.Step = OneAtATimeStep.AwaitLeader;
                break;
            case OneAtATimeStep.Remove when _now >= play.StepEnd || (play.RemovalIndex != 0 && NodeOf(play.NewLeader).IsUp && NodeOf(play.NewLeader).Raft.CommitIndex >= play.RemovalIndex):
                // M and the voter it reached go away; L, X and the voter M never reached meet.
                _blocked.Clear();
                foreach (var n in _nodes)
                {
                    if (n.Id != play.NewLeader && n.Id != play.Ally)
                    {
                        CutBothWays(play.NewLeader, n.Id);
                        CutBothWays(play.Ally, n.Id);
                    }
                }

                play.Step = OneAtATimeStep.Return;
                play.StepEnd = _now + (1_200 * Millisecond);
                play.Deadline = Math.Max(play.Deadline, play.StepEnd + Millisecond);
                break;
            case OneAtATimeStep.Return when _now >= play.StepEnd:
                EndScenario(play.RemovalIndex != 0 ? "one-at-a-time: the second change went in" : "one-at-a-time: the second change waited");
                return;
        }

        Schedule(_random.Between(Millisecond, 4 * Millisecond), PollOneAtATime);
    }

    /// <summary>Brings the group to four live voters and one caught-up learner, one change at a time, then promotes the learner.</summary>
    private void PrepareOneAtATime(OneAtATimePlay play)
    {
        var leader = LiveLeader();
        if (_now < play.NextProposal || leader is null)
        {
            return;
        }

        var raft = leader.Raft;
        var conf = raft.Configuration;
        if (conf.IsJoint || raft.Log.ConfigurationIndex > raft.CommitIndex || raft.Log.TermOrZero(raft.CommitIndex) != raft.Term)
        {
            return;
        }

        var wiped = conf.Members().FirstOrDefault(id => NodeOf(id).Wiped);
        ConfChangeItem item;
        if (wiped != 0)
        {
            item = new ConfChangeItem(ConfChangeType.Remove, wiped);
        }
        else if (conf.Voters.Length > 4)
        {
            item = new ConfChangeItem(ConfChangeType.Remove, Pick(conf.Voters.Where(id => id != leader.Id)));
        }
        else if (conf.Learners.Length > 1)
        {
            item = new ConfChangeItem(ConfChangeType.Remove, Pick(conf.Learners));
        }
        else if (conf.Learners.Length == 1 && conf.Voters.Length < 4)
        {
            item = new ConfChangeItem(ConfChangeType.AddVoter, conf.Learners[0]);
        }
        else if (conf.Learners.Length == 0)
        {
            var spare = SpareId();
            if (spare == 0)
            {
                EndScenario("one-at-a-time: no spare id");
                return;
            }

            item = new ConfChangeItem(ConfChangeType.AddLearner, Start(spare));
        }
        else
        {
            // Four voters and a learner: promote it once it has caught up.
            var learner = conf.Learners[0];
            if (!NodeOf(learner).IsUp || !raft.GetStatus().Followers.TryGetValue(learner, out var pr) || pr.Match != raft.LastIndex)
            {
                return;
            }

            play.Step = OneAtATimeStep.Promote;
            SendAdmin(new AdminRequest(ConfChange.Of(new ConfChangeItem(ConfChangeType.AddVoter, learner)), 0, 0, OnPromotion), leader.Id);
            return;
        }

        play.NextProposal = _now + (15 * Millisecond);
        SendAdmin(new AdminRequest(ConfChange.Of(item), 0, 0), leader.Id);
    }

    /// <summary>L appended the promotion: before it leaves, cut L off from everyone but X.</summary>
    private void OnPromotion(SimNode node, ProposeResult result)
    {
        var play = _oneAtATime;
        if (play is null || play.Step != OneAtATimeStep.Promote)
        {
            return;
        }

        if (result.Status != ProposeStatus.Accepted)
        {
            play.Step = OneAtATimeStep.Prepare;
            return;
        }

        var conf = node.Raft.Configuration;
        play.Leader = node.Id;
        play.Joiner = conf.Voters.Except(node.Raft.Log.ConfigurationAt(result.Index - 1).Voters).Single();
        play.Others = [.. conf.Voters.Where(id => id != play.Leader && id != play.Joiner)];
        play.PromotionIndex = result.Index;
        play.PromotionTerm = result.Term;
        foreach (var n in _nodes)
        {
            if (n.Id != play.Leader && n.Id != play.Joiner)
            {
                CutBothWays(play.Leader, n.Id);
            }
        }

        play.Step = OneAtATimeStep.Spread;
        play.StepEnd = _now + (100 * Millisecond);
    }

    /// <summary>M was elected by the three others: cut it off from B before its first entries leave, and have it remove L.</summary>
    private void OneAtATimeOnNewLeader(SimNode node)
    {
        var play = _oneAtATime;
        if (play is null || play.Step != OneAtATimeStep.AwaitLeader || !play.Others.Contains(node.Id) || node.Raft.Term <= play.PromotionTerm)
        {
            return;
        }

        var rest = play.Others.Where(id => id != node.Id).ToArray();
        play.NewLeader = node.Id;
        play.Cut = rest[_random.Next(rest.Length)];
        play.Ally = rest.Single(id => id != play.Cut);
        CutBothWays(play.NewLeader, play.Cut);
        play.Step = OneAtATimeStep.Remove;
        play.StepEnd = _now + (300 * Millisecond);
        var removal = ConfChange.Of(new ConfChangeItem(ConfChangeType.Remove, play.Leader));

        SendAdmin(new AdminRequest(removal, 0, play.StepEnd, (n, r) =>
        {
            if (r.Status == ProposeStatus.Accepted && _oneAtATime == play && n.Id == play.NewLeader)
            {
                play.RemovalIndex = r.Index;

            }
        }), node.Id);
    }

    private enum OneAtATimeStep
    {
        Prepare,
        Promote,
        Spread,
        AwaitLeader,
        Remove,
        Return,
    }

    private sealed class OneAtATimePlay
    {
        public OneAtATimeStep Step { get; set; }

        public long Deadline { get; set; }

        public long StepEnd { get; set; }

        public long NextProposal { get; set; }

        public ulong Leader { get; set; }

        public ulong Joiner { get; set; }

        public ulong[] Others { get; set; } = [];

        public ulong PromotionIndex { get; set; }

        public ulong PromotionTerm { get; set; }

        public ulong NewLeader { get; set; }

        public ulong Ally { get; set; }

        public ulong Cut { get; set; }

        public ulong RemovalIndex { get; set; }
    }
}
