using System.Collections.Immutable;
using Raft.Actors.Protocol;

namespace Raft.Actors.Consensus;

/// <summary>
/// Membership and what the leader knows of each member: progress, votes in the current
/// election, quorum arithmetic. In a joint configuration every quorum is two quorums: a
/// majority of the incoming voters and a majority of the outgoing ones (thesis §4.3).
/// </summary>
internal sealed class ProgressTracker
{
    private readonly Dictionary<ulong, Progress> _progress = [];
    private readonly Dictionary<ulong, bool> _votes = [];
    private readonly int _maxInflight;
    private readonly long _maxInflightBytes;

    public ProgressTracker(ConfState conf, int maxInflight, long maxInflightBytes)
    {
        _maxInflight = maxInflight;
        _maxInflightBytes = maxInflightBytes;
        Configuration = conf;
    }

    public ConfState Configuration { get; private set; }

    public IReadOnlyDictionary<ulong, Progress> Progress => _progress;

    /// <summary>True when <paramref name="id"/> votes in the incoming or the outgoing voters.</summary>
    public bool IsVoter(ulong id) => Configuration.IsVoter(id);

    /// <summary>The committed configuration whose members keep their progress too (see <see cref="Reconfigure"/>).</summary>
    public ConfState CommittedConfiguration { get; private set; } = new();

    /// <summary>
    /// Replaces the membership (a configuration entry, or a snapshot). Progress is kept for the
    /// members of <paramref name="conf"/> and of <paramref name="committed"/>: a member being
    /// removed still receives the log until its removal commits, so it learns that it was
    /// removed. A leader adds progress for new members with <see cref="AddMissingProgress"/>.
    /// </summary>
    public void Reconfigure(ConfState conf, ConfState committed)
    {
        Configuration = conf;
        CommittedConfiguration = committed;
        var tracked = conf.Members().Concat(committed.Members()).ToHashSet();
        foreach (var id in _progress.Keys.Where(id => !tracked.Contains(id)).ToList())
        {
            _progress.Remove(id);
        }
    }

    /// <summary>Starts progress for members that have none at <paramref name="lastIndex"/> + 1; they probe down from there.</summary>
    public void AddMissingProgress(ulong lastIndex)
    {
        foreach (var id in Configuration.Members().Concat(CommittedConfiguration.Members()))
        {
            if (!_progress.ContainsKey(id))
            {
                _progress[id] = new Progress(lastIndex + 1, _maxInflight, _maxInflightBytes);
            }
        }
    }

    /// <summary>Restarts progress for every member as a new leader would (Raft §5.3: next = last + 1).</summary>
    public void ResetProgress(ulong lastIndex)
    {
        _progress.Clear();
        AddMissingProgress(lastIndex);
    }

    /// <summary>
    /// The highest index replicated on a quorum: for each voter set the median of its match
    /// indices, and the lower of the two in a joint configuration. Whether it may be committed
    /// is the caller's question (Raft §5.4.2).
    /// </summary>
    public ulong QuorumMatch()
    {
        var incoming = MajorityMatch(Configuration.Voters);
        return Configuration.IsJoint ? Math.Min(incoming, MajorityMatch(Configuration.VotersOutgoing)) : incoming;
    }

    /// <summary>True when a quorum of voters (counting <paramref name="self"/>) was recently active.</summary>
    public bool QuorumActive(ulong self) =>
        IsQuorum(id => id == self || (_progress.TryGetValue(id, out var pr) && pr.RecentActive));

    public void ResetVotes() => _votes.Clear();

    public void RecordVote(ulong id, bool granted) => _votes.TryAdd(id, granted);

    /// <summary>Counts the recorded votes: won only with both majorities, lost once either is out of reach.</summary>
    public VoteResult TallyVotes()
    {
        var incoming = Tally(Configuration.Voters);
        if (!Configuration.IsJoint)
        {
            return incoming;
        }

        var outgoing = Tally(Configuration.VotersOutgoing);
        return incoming == VoteResult.Lost || outgoing == VoteResult.Lost ? VoteResult.Lost
            : incoming == VoteResult.Won && outgoing == VoteResult.Won ? VoteResult.Won
            : VoteResult.Pending;
    }

    /// <summary>True when the acknowledgements in <paramref name="acks"/> form a quorum of voters.</summary>
    public bool IsQuorum(IReadOnlySet<ulong> acks) => IsQuorum(acks.Contains);

    /// <summary>True when the voters for which <paramref name="acked"/> holds form a quorum.</summary>
    public bool IsQuorum(Func<ulong, bool> acked) =>
        HasMajority(Configuration.Voters, acked) &&
        (!Configuration.IsJoint || HasMajority(Configuration.VotersOutgoing, acked));

    private static bool HasMajority(ImmutableArray<ulong> voters, Func<ulong, bool> acked)
    {
        var n = 0;
        foreach (var id in voters)
        {
            if (acked(id))
            {
                n++;
            }
        }

        return n >= (voters.Length / 2) + 1;
    }

    private ulong MajorityMatch(ImmutableArray<ulong> voters)
    {
        if (voters.IsDefaultOrEmpty)
        {
            return 0;
        }

        Span<ulong> matches = voters.Length <= 16 ? stackalloc ulong[voters.Length] : new ulong[voters.Length];
        for (var i = 0; i < voters.Length; i++)
        {
            matches[i] = _progress.TryGetValue(voters[i], out var pr) ? pr.Match : 0;
        }

        matches.Sort();
        return matches[voters.Length - ((voters.Length / 2) + 1)];
    }

    private VoteResult Tally(ImmutableArray<ulong> voters)
    {
        int granted = 0, rejected = 0;
        foreach (var id in voters)
        {
            if (_votes.TryGetValue(id, out var g))
            {
                if (g)
                {
                    granted++;
                }
                else
                {
                    rejected++;
                }
            }
        }

        var quorum = (voters.Length / 2) + 1;
        return granted >= quorum ? VoteResult.Won : voters.Length - rejected >= quorum ? VoteResult.Pending : VoteResult.Lost;
    }
}

/// <summary>Outcome of counting an election's votes.</summary>
internal enum VoteResult
{
    Pending,
    Won,
    Lost,
}
