using Raft.Actors.Protocol;

namespace Raft.Actors.Consensus;

/// <summary>
/// Membership and what the leader knows of each member: progress, votes in the current
/// election, quorum arithmetic.
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

    public bool IsVoter(ulong id) => Configuration.Voters.Contains(id);

    /// <summary>Replaces the membership (a snapshot or a configuration change); progress is rebuilt by the caller.</summary>
    public void Reconfigure(ConfState conf) => Configuration = conf;

    /// <summary>Restarts progress for every member as a new leader would (Raft §5.3: next = last + 1).</summary>
    public void ResetProgress(ulong lastIndex)
    {
        _progress.Clear();
        foreach (var id in Configuration.Voters)
        {
            _progress[id] = new Progress(lastIndex + 1, _maxInflight, _maxInflightBytes);
        }

        foreach (var id in Configuration.Learners)
        {
            _progress[id] = new Progress(lastIndex + 1, _maxInflight, _maxInflightBytes);
        }
    }

    /// <summary>
    /// The highest index replicated on a majority of voters: the median of their match
    /// indices. Whether it may be committed is the caller's question (Raft §5.4.2).
    /// </summary>
    public ulong QuorumMatch()
    {
        var voters = Configuration.Voters;
        Span<ulong> matches = voters.Length <= 16 ? stackalloc ulong[voters.Length] : new ulong[voters.Length];
        for (var i = 0; i < voters.Length; i++)
        {
            matches[i] = _progress.TryGetValue(voters[i], out var pr) ? pr.Match : 0;
        }

        matches.Sort();
        return matches[voters.Length - (voters.Length / 2 + 1)];
    }

    /// <summary>True when a majority of voters (counting <paramref name="self"/>) was recently active.</summary>
    public bool QuorumActive(ulong self)
    {
        var active = 0;
        foreach (var id in Configuration.Voters)
        {
            if (id == self || (_progress.TryGetValue(id, out var pr) && pr.RecentActive))
            {
                active++;
            }
        }

        return active >= Quorum;
    }

    public int Quorum => Configuration.Voters.Length / 2 + 1;

    public void ResetVotes() => _votes.Clear();

    public void RecordVote(ulong id, bool granted) => _votes.TryAdd(id, granted);

    /// <summary>Counts the recorded votes among voters.</summary>
    public VoteResult TallyVotes()
    {
        int granted = 0, rejected = 0;
        foreach (var id in Configuration.Voters)
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

        if (granted >= Quorum)
        {
            return VoteResult.Won;
        }

        return Configuration.Voters.Length - rejected >= Quorum ? VoteResult.Pending : VoteResult.Lost;
    }

    /// <summary>True when the acknowledgements in <paramref name="acks"/> form a quorum of voters.</summary>
    public bool IsQuorum(IReadOnlySet<ulong> acks)
    {
        var n = 0;
        foreach (var id in Configuration.Voters)
        {
            if (acks.Contains(id))
            {
                n++;
            }
        }

        return n >= Quorum;
    }
}

/// <summary>Outcome of counting an election's votes.</summary>
internal enum VoteResult
{
    Pending,
    Won,
    Lost,
}
