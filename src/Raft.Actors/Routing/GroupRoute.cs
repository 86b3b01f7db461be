namespace Raft.Actors.Routing;

/// <summary>
/// A client's knowledge of one group: which nodes are members and which one leads. It is
/// refreshed from every <see cref="ReplicaAnswer"/>: the node that served a proposal leads; a
/// follower's answer names the leader; a leader's answer carries the membership in force, so a
/// node removed from the group drops out of the route and is never asked again (RheaKV #652).
/// </summary>
/// <remarks>Thread-safe.</remarks>
public sealed class GroupRoute
{
    private readonly Lock _gate = new();
    private ulong[] _members;
    private (ulong Term, ulong ConfigurationIndex) _membersFrom;
    private ulong _leader;
    private ulong _avoid;
    private int _next;

    /// <summary>Starts from <paramref name="seeds"/>: the nodes to ask until a leader says who the members are.</summary>
    public GroupRoute(ulong group, IEnumerable<ulong> seeds)
    {
        Group = group;
        _members = CheckSeeds(seeds);
    }

    /// <summary>The group.</summary>
    public ulong Group { get; }

    /// <summary>The node believed to lead (0 = unknown).</summary>
    public ulong Leader
    {
        get
        {
            lock (_gate)
            {
                return _leader;
            }
        }
    }

    /// <summary>The nodes requests go to: the membership the latest leader reported, or the seeds.</summary>
    public IReadOnlyList<ulong> Members
    {
        get
        {
            lock (_gate)
            {
                return _members;
            }
        }
    }

    /// <summary>
    /// The node to ask next: the leader when known; otherwise the members in turn, passing over
    /// the one that failed last unless it is the only one.
    /// </summary>
    public ulong NextTarget()
    {
        lock (_gate)
        {
            if (_leader != 0 && _leader != _avoid)
            {
                return _leader;
            }

            for (var i = 0; i < _members.Length; i++)
            {
                var node = _members[_next++ % _members.Length];
                if (node != _avoid)
                {
                    return node;
                }
            }

            return _members[0];
        }
    }

    /// <summary>Takes in <paramref name="node"/>'s answer; returns true when it named a leader other than <paramref name="node"/> to try at once.</summary>
    public bool Learn(ulong node, ReplicaAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        lock (_gate)
        {
            // Leaders are ordered by term, and one leader's configurations by index: a newer leader's
            // membership supersedes whatever a deposed one reported, including entries it lost.
            var from = (answer.Term, answer.ConfigurationIndex);
            if (answer.FromLeader && answer.Members.Length > 0 && from.CompareTo(_membersFrom) > 0)
            {
                _members = [.. answer.Members];
                _membersFrom = from;
                if (!_members.Contains(_leader))
                {
                    _leader = 0;
                }
            }

            switch (answer.Status)
            {
                case ReplicaAnswerStatus.Ok:
                    _leader = answer.FromLeader ? node : Admissible(answer.Leader, answer.Term);
                    if (_avoid == node)
                    {
                        _avoid = 0;
                    }

                    return false;
                case ReplicaAnswerStatus.NotLeader:
                    var hint = answer.Leader == node ? 0 : Admissible(answer.Leader, answer.Term);
                    _leader = hint;
                    _avoid = node;
                    return hint != 0;
                default:
                    FailedLocked(node);
                    return false;
            }
        }
    }

    /// <summary>Records that <paramref name="node"/> did not answer or could not serve: it is asked last until one succeeds.</summary>
    public void Failed(ulong node)
    {
        lock (_gate)
        {
            FailedLocked(node);
        }
    }

    /// <summary>The distinct seeds; throws <see cref="ArgumentException"/> when there is none or one is 0.</summary>
    internal static ulong[] CheckSeeds(IEnumerable<ulong> seeds)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        ulong[] distinct = [.. seeds.Distinct()];
        if (distinct.Length == 0 || distinct.Contains(0UL))
        {
            throw new ArgumentException($"A route needs at least one seed node, none of them 0 (was [{string.Join(", ", distinct)}]).", nameof(seeds));
        }

        return distinct;
    }

    private void FailedLocked(ulong node)
    {
        _avoid = node;
        if (_leader == node)
        {
            _leader = 0;
        }
    }

    /// <summary>
    /// A leader hint is followed when it names a member, or when it comes from a term newer than
    /// the membership known (a node added since then may lead). A hint from an older replica naming
    /// a node no longer a member is ignored: that node was removed.
    /// </summary>
    private ulong Admissible(ulong hint, ulong term) =>
        hint != 0 && (_members.Contains(hint) || term > _membersFrom.Term) ? hint : 0;
}
