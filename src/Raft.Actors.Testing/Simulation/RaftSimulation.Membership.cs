using Raft.Actors.Consensus;
using Raft.Actors.Protocol;

namespace Raft.Actors.Testing.Simulation;

/// <summary>
/// The membership workload: while faults run, an operator adds learners, promotes them once
/// caught up, removes voters (the leader too, and nodes cut off from it) and learners, replaces
/// a voter in one joint change, hands leadership over (to a named voter or the most caught-up),
/// and wipes a member's disk and brings it back under its old id. Ids come from a pool larger
/// than the founding voters; a node is started, empty and with an empty membership, just
/// before it is first added. Busy answers are retried, and a change drawn against an older
/// configuration is dropped if it would no longer leave a live majority.
/// </summary>
public sealed partial class RaftSimulation
{
    /// <summary>Voters the workload keeps alive (not counting a wiped one), so a majority can make progress.</summary>
    private const int MinLiveVoters = 3;

    private readonly HashSet<ulong> _wipedDisks = [];
    private int _confChangesAccepted;
    private int _transfersAccepted;
    private int _wipes;

    /// <summary>The targeted scenario being played (random faults and operations wait), or null.</summary>
    private string? _scenario;

    private string? _scenarioOutcome;

    /// <summary>
    /// Short network and disk delays only: a staged race (the lease scenario) is decided within
    /// a few milliseconds, and one slow message would call it off. Safety may not depend on it.
    /// </summary>
    private bool _calm;

    /// <summary>Changes when a targeted scenario begins or ends, so faults scheduled before it leave its links alone.</summary>
    private int _scenarioEpoch;

    /// <summary>
    /// Ids the run may use: the founders and five more. A removed id is never added again: the
    /// core has a removed node refuse every vote for good, so a re-added one whose vote is
    /// needed before it hears of its return would stall the group (as etcd, ids are retired).
    /// </summary>
    private int PoolSize => _options.Nodes + 5;

    private int MaxVoters => _options.Nodes + 2;

    private void StartMembershipWorkload()
    {
        var forced = _options.ParsedScenario;
        if (forced is null)
        {
            Schedule(_random.Between(100 * Millisecond, 400 * Millisecond), NextMembershipOperation);
        }

        if (!_options.Faults)
        {
            return;
        }

        // A quarter of the seeds play Ongaro's one-at-a-time scenario, a quarter a lease race.
        var pick = forced switch { "one-at-a-time" => 0, "lease" => 25, _ => _random.Next(100) };
        if (pick < 25)
        {
            Schedule(_random.Between(300 * Millisecond, Math.Max(400 * Millisecond, _faultEnd - (3_500 * Millisecond))), StartOneAtATimeScenario);
        }
        else if (pick < 50)
        {
            Schedule(_random.Between(300 * Millisecond, Math.Max(400 * Millisecond, _faultEnd - (1_500 * Millisecond))), StartLeaseScenario);
        }
    }

    private void NextMembershipOperation()
    {
        if (_now >= _faultEnd)
        {
            return;
        }

        if (_scenario is null)
        {
            StartMembershipOperation();
        }

        Schedule(_random.Between(20 * Millisecond, 250 * Millisecond), NextMembershipOperation);
    }

    /// <summary>The live leader of the highest term (what an operator's admin client would find).</summary>
    private SimNode? LiveLeader()
    {
        SimNode? best = null;
        foreach (var n in _nodes)
        {
            if (n.IsUp && n.Raft.Role == RaftRole.Leader && (best is null || n.Raft.Term > best.Raft.Term))
            {
                best = n;
            }
        }

        return best;
    }

    private void StartMembershipOperation()
    {
        var leader = LiveLeader();
        if (leader is null || leader.Raft.Configuration.IsJoint)
        {
            return;
        }

        var conf = leader.Raft.Configuration;
        var retryUntil = _now + _random.Between(100 * Millisecond, 800 * Millisecond);
        var refused = conf.Members().FirstOrDefault(id => NodeOf(id).Refused);
        if (refused != 0 && _random.Chance(0.7))
        {
            // The operator read the refusal and removes the node (it may come back under a new id).
            SendAdmin(new AdminRequest(ConfChange.Of(new ConfChangeItem(ConfChangeType.Remove, refused)), 0, retryUntil, Guarded: true));
            return;
        }

        // New voters come only from learners that have caught up (thesis §4.2.1): a voter added
        // with an empty log cannot vote until a leader feeds it, and a group that needs its vote
        // to elect that leader would wait for ever.
        var liveVoters = conf.Voters.Count(id => !NodeOf(id).Wiped);
        var learner = CaughtUpLearner(leader);
        var spare = SpareId();
        var roll = _random.Next(100);
        ConfChange? change = null;
        if (roll < 20 && spare != 0)
        {
            change = ConfChange.Of(new ConfChangeItem(ConfChangeType.AddLearner, Start(spare)));
        }
        else if (roll < 38 && learner != 0 && conf.Voters.Length < MaxVoters)
        {
            // A promotion: the learner becomes a voter in this one change.
            change = ConfChange.Of(new ConfChangeItem(ConfChangeType.AddVoter, learner));
        }
        else if (roll < 52 && liveVoters > MinLiveVoters)
        {
            // Any voter, the leader included; often one the leader cannot reach right now.
            var cutOff = Pick(conf.Voters.Where(id => _blocked.Contains((leader.Id, id)) && !NodeOf(id).Wiped));
            var victim = cutOff != 0 && _random.Chance(0.6) ? cutOff : Pick(conf.Voters.Where(id => !NodeOf(id).Wiped));
            change = ConfChange.Of(new ConfChangeItem(ConfChangeType.Remove, victim));
        }
        else if (roll < 60 && conf.Learners.Length > 0)
        {
            change = ConfChange.Of(new ConfChangeItem(ConfChangeType.Remove, Pick(conf.Learners)));
        }
        else if (roll < 72 && learner != 0)
        {
            // Replace a voter (the leader included): two voter changes in one, so through a joint configuration.
            change = ConfChange.Of(
                new ConfChangeItem(ConfChangeType.Remove, Pick(conf.Voters)),
                new ConfChangeItem(ConfChangeType.AddVoter, learner));
        }
        else if (roll < 77)
        {
            // A single voter change asked to go through a joint configuration all the same.
            var item = learner != 0 && conf.Voters.Length < MaxVoters && (liveVoters <= MinLiveVoters || _random.Chance(0.5))
                ? new ConfChangeItem(ConfChangeType.AddVoter, learner)
                : liveVoters > MinLiveVoters ? new ConfChangeItem(ConfChangeType.Remove, Pick(conf.Voters.Where(id => !NodeOf(id).Wiped))) : null;
            change = item is null ? null : new ConfChange { Items = [item], Transition = ConfChangeTransition.Joint };
        }
        else if (roll < 89)
        {
            // Named, or "the most caught-up voter" (0).
            var target = _random.Chance(0.5) ? Pick(conf.Voters.Where(id => id != leader.Id)) : 0;
            SendAdmin(new AdminRequest(null, target, retryUntil));
            return;
        }
        else if (roll < 94)
        {
            MaybeWipe(leader);
            return;
        }

        if (change is not null)
        {
            SendAdmin(new AdminRequest(change, 0, retryUntil, Guarded: true));
        }
    }

    /// <summary>A live learner the leader has brought up to its commit index, or 0.</summary>
    private ulong CaughtUpLearner(SimNode leader)
    {
        var followers = leader.Raft.GetStatus().Followers;
        return Pick(leader.Raft.Configuration.Learners.Where(id =>
            NodeOf(id) is { IsUp: true, Wiped: false } && followers.TryGetValue(id, out var pr) && pr.Match >= leader.Raft.CommitIndex));
    }

    private ulong Pick(IEnumerable<ulong> ids)
    {
        var all = ids.ToArray();
        return all.Length == 0 ? 0 : all[_random.Next(all.Length)];
    }

    /// <summary>An id that was never used (see <see cref="PoolSize"/>), or 0 when the pool is spent.</summary>
    private ulong SpareId() => _nodes.Count < PoolSize ? (ulong)_nodes.Count + 1 : 0;

    /// <summary>Starts the node with this id if it never ran: an empty disk and an empty membership.</summary>
    private ulong Start(ulong id)
    {
        if (id == (ulong)_nodes.Count + 1)
        {
            var node = new SimNode(id) { TickInterval = BaseTickInterval };
            _nodes.Add(node);
            StartNode(node);
            ScheduleTick(node, _random.Between(0, node.TickInterval));
        }

        return id;
    }

    /// <summary>
    /// Wipes a member and starts it again under its old id on an empty disk (a founder with the
    /// founding membership, as an operator would restart it). The group must refuse it and
    /// never count it. Only once every other node holds the member's disk record durably in
    /// its own configuration: a node that never heard of the record cannot tell the wiped
    /// member from a new one (two such nodes, one lagging and one wiped, could elect each
    /// other), which is the window the disk record leaves by design.
    /// </summary>
    private void MaybeWipe(SimNode leader)
    {
        var committed = leader.Raft.Log.ConfigurationAt(leader.Raft.CommitIndex);
        if (_wipes > 0 || leader.Raft.Configuration.Members().Any(id => NodeOf(id).Wiped))
        {
            return;
        }

        var victim = Pick(committed.Members().Where(id =>
            leader.Raft.Configuration.Contains(id) && committed.DiskOf(id) == NodeOf(id).DiskId && NodeOf(id).IsUp &&
            _nodes.All(n => n.Id == id || (n.IsUp && n.Raft.Log.ConfigurationAt(n.Raft.Log.Stable).DiskOf(id) == NodeOf(id).DiskId))));
        if (victim == 0 || (committed.IsVoter(victim) && committed.Voters.Count(id => id != victim) < MinLiveVoters - 1))
        {
            return;
        }

        _wipes++;
        var node = NodeOf(victim);
        Crash(node);
        node.Wipe();
        _wipedDisks.Add(node.DiskId);
        Schedule(_random.Between(5 * Millisecond, 100 * Millisecond), () =>
        {
            if (!node.IsUp && !node.Refused)
            {
                StartNode(node);
            }
        });
    }

    /// <summary>Sends an operator's request to <paramref name="target"/>, or to the live leader.</summary>
    private void SendAdmin(AdminRequest request, ulong target = 0)
    {
        target = target != 0 ? target : LiveLeader()?.Id ?? 0;
        if (target == 0 || target > (ulong)_nodes.Count)
        {
            if (_now < request.RetryUntil)
            {
                Schedule(_random.Between(5 * Millisecond, 30 * Millisecond), () => SendAdmin(request));
            }

            return;
        }

        var node = NodeOf(target);
        Schedule(_random.Between(100, Millisecond), () => Deliver(node, request));
    }

    private void HandleAdminRequest(SimNode node, AdminRequest request)
    {
        if (request.Guarded && request.Change is { } planned && !KeepsAMajorityAlive(node.Raft.Configuration, planned))
        {
            // Drawn against an older configuration (another change went in meanwhile): the
            // operator looks again and leaves it.
            return;
        }

        var result = request.Change is { } change ? node.Raft.ProposeConfChange(change) : node.Raft.TransferLeadership(request.TransferTarget);
        if (result.Status == ProposeStatus.Accepted)
        {
            _ = request.Change is null ? _transfersAccepted++ : _confChangesAccepted++;
        }

        request.Then?.Invoke(node, result);
        if (result.Status is ProposeStatus.Busy or ProposeStatus.NotLeader && _now < request.RetryUntil && _now < _faultEnd)
        {
            // Busy: the previous change is not committed yet, the leader has not committed an
            // entry of its term, or a transfer is on. Ask again shortly.
            var target = result.Status == ProposeStatus.NotLeader ? result.LeaderHint : node.Id;
            Schedule(_random.Between(2 * Millisecond, 20 * Millisecond), () => SendAdmin(request, target));
        }
    }

    /// <summary>
    /// Whether <paramref name="change"/>, applied to <paramref name="current"/>, leaves enough
    /// live voters (not wiped) for a majority, and at least <see cref="MinLiveVoters"/> when it
    /// removes a live one. A change that does not apply is let through: the leader refuses it.
    /// </summary>
    private bool KeepsAMajorityAlive(ConfState current, ConfChange change)
    {
        if (Membership.Apply(current, change, out _) is not { } next)
        {
            return true;
        }

        var live = next.Voters.Count(id => !NodeOf(id).Wiped);
        var removesLiveVoter = change.Items.Any(i => i.Type == ConfChangeType.Remove && current.IsVoter(i.NodeId) && !NodeOf(i.NodeId).Wiped);
        return live >= (next.Voters.Length / 2) + 1 && (!removesLiveVoter || live >= MinLiveVoters);
    }

    /// <summary>
    /// Steps a message sent from a wiped disk, and checks that it did not count: no election or
    /// pre-vote won with its vote, no acknowledgement taken by a leader.
    /// </summary>
    private void StepFromWipedDisk(SimNode node, RaftMessage m)
    {
        var raft = node.Raft;
        var role = raft.Role;
        var match = role == RaftRole.Leader && raft.GetStatus().Followers.TryGetValue(m.From, out var before) ? before.Match : 0;
        raft.Step(m);
        var granted = m.Type is MessageType.VoteResponse or MessageType.PreVoteResponse && !m.Reject;
        if (granted && raft.Role != role && raft.Role is RaftRole.Leader or RaftRole.Candidate)
        {
            _checker.Report(_now, $"wiped disk counted: node {node.Id} won {(raft.Role == RaftRole.Leader ? "the election" : "the pre-vote")} of term {raft.Term} with the vote of node {m.From}, which came back on a wiped disk");
        }
        else if (m.Type == MessageType.AppendResponse && !m.Reject && raft.Role == RaftRole.Leader &&
                 raft.GetStatus().Followers.TryGetValue(m.From, out var after) && after.Match > match)
        {
            _checker.Report(_now, $"wiped disk counted: leader {node.Id} took node {m.From}'s acknowledgement of index {after.Match}, although the node came back on a wiped disk");
        }
    }

    /// <summary>A node was seen leading a new term: targeted scenarios may act on it.</summary>
    private void OnNewLeader(SimNode node)
    {
        OneAtATimeOnNewLeader(node);
        LeaseOnNewLeader(node);
    }

    /// <summary>Common start of a targeted scenario: a calm, healed network to set the stage on.</summary>
    private bool BeginScenario(string name)
    {
        if (_scenario is not null || _now >= _faultEnd)
        {
            return false;
        }

        _scenario = name;
        _scenarioEpoch++;
        HealEverything();
        return true;
    }

    private void EndScenario(string outcome)
    {
        _scenario = null;
        _calm = false;
        _scenarioEpoch++;
        _scenarioOutcome = outcome;
        _oneAtATime = null;
        _lease = null;
        _blocked.Clear();
    }

    private void CutBothWays(ulong a, ulong b)
    {
        _blocked.Add((a, b));
        _blocked.Add((b, a));
    }
}

/// <summary>
/// An operator's request to a node: a membership change, or (when <see cref="Change"/> is null)
/// a leadership transfer to <see cref="TransferTarget"/> (0 = the most caught-up voter).
/// Busy or not-leader answers are retried until <see cref="RetryUntil"/>. A <see cref="Guarded"/>
/// change is dropped if, by the time the node handles it, it would leave no live majority.
/// </summary>
internal sealed record AdminRequest(ConfChange? Change, ulong TransferTarget, long RetryUntil, Action<SimNode, ProposeResult>? Then = null, bool Guarded = false);

/// <summary>The host asks the node to start an election now (<see cref="RaftNode.Campaign"/>).</summary>
internal sealed record CampaignInput
{
    public static CampaignInput Instance { get; } = new();
}
