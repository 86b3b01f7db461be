using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Xunit;

namespace Raft.Actors.Tests.Consensus.Paper;

/// <summary>Raft §5.2, leader election, checked on single nodes driven by hand.</summary>
[Trait("Paper", "§5.2")]
public sealed class LeaderElectionTests
{
    private const int ElectionTicks = 10;

    // Raft §5.2: "If a follower receives no communication over a period of time called the
    // election timeout, then it ... begins an election": it increments its term, votes for
    // itself and asks every other server for a vote.
    [Fact]
    public void Follower_becomes_candidate_after_its_election_timeout()
    {
        var node = Build.Node(1, 3, random: new FixedRandom(0));

        for (var i = 0; i < ElectionTicks - 1; i++)
        {
            node.Tick();
        }

        Assert.Equal(RaftRole.Follower, node.Role);
        Assert.Equal(0UL, node.Term);

        node.Tick();

        Assert.Equal(RaftRole.Candidate, node.Role);
        Assert.Equal(1UL, node.Term);
        Assert.Equal(1UL, node.Vote);
        var ready = node.GetReady();
        Assert.Equal(new HardState(1, 1, 0), ready.HardState);
        var requests = ready.MessagesNow.Concat(ready.MessagesAfterPersist).Where(m => m.Type == MessageType.Vote).ToList();
        Assert.Equal([2UL, 3UL], requests.Select(m => m.To).Order());
        Assert.All(requests, m => Assert.Equal(1UL, m.Term));
    }

    // Raft §5.2: "Raft uses randomized election timeouts ... chosen randomly from a fixed
    // interval". Here the interval is [ElectionTicks, 2 × ElectionTicks).
    [Theory]
    [InlineData(0, ElectionTicks)]
    [InlineData(ElectionTicks - 1, (2 * ElectionTicks) - 1)]
    public void Election_timeout_bounds_are_ET_and_2ET_minus_one(int jitter, int expectedTicks)
    {
        Assert.Equal(expectedTicks, TicksUntilCampaign(new FixedRandom(jitter)));
    }

    [Fact]
    public void Election_timeouts_are_randomized_within_ET_to_2ET()
    {
        var seen = new HashSet<int>();
        for (var seed = 0; seed < 200; seed++)
        {
            var ticks = TicksUntilCampaign(new SeededRandom(seed));
            Assert.InRange(ticks, ElectionTicks, (2 * ElectionTicks) - 1);
            seen.Add(ticks);
        }

        // A fixed timeout would show one value; split votes would then repeat forever.
        Assert.True(seen.Count >= ElectionTicks / 2, $"only {seen.Count} distinct timeouts: {string.Join(",", seen)}");
    }

    public static TheoryData<int, ulong[], ulong[], RaftRole> Elections => new()
    {
        { 1, [], [], RaftRole.Leader },
        { 3, [2, 3], [], RaftRole.Leader },
        { 3, [2], [], RaftRole.Leader },
        { 5, [2, 3, 4, 5], [], RaftRole.Leader },
        { 5, [2, 3], [4, 5], RaftRole.Leader },
        { 5, [2, 3], [], RaftRole.Leader },
        { 3, [], [], RaftRole.Candidate },
        { 5, [2], [], RaftRole.Candidate },
        { 5, [2], [3], RaftRole.Candidate },
        { 5, [2], [3, 4], RaftRole.Candidate },
        { 5, [2], [3, 4, 5], RaftRole.Follower },
        { 3, [], [2, 3], RaftRole.Follower },
    };

    // Raft §5.2: "A candidate wins an election if it receives votes from a majority of the
    // servers in the full cluster for the same term." A majority of rejections ends it.
    [Theory]
    [MemberData(nameof(Elections))]
    public void Candidate_wins_only_with_votes_from_a_majority(int size, ulong[] grants, ulong[] rejects, RaftRole expected)
    {
        var node = Build.Node(1, size);
        node.Campaign();
        Build.DrainMessages(node);

        foreach (var id in grants)
        {
            node.Step(Build.VoteResponse(id, 1, 1, granted: true));
        }

        foreach (var id in rejects)
        {
            node.Step(Build.VoteResponse(id, 1, 1, granted: false));
        }

        Assert.Equal(expected, node.Role);
    }

    [Fact]
    public void Duplicate_vote_responses_from_one_voter_count_once()
    {
        var node = Build.Node(1, 5);
        node.Campaign();
        Build.DrainMessages(node);

        node.Step(Build.VoteResponse(2, 1, 1, granted: true));
        node.Step(Build.VoteResponse(2, 1, 1, granted: true));
        node.Step(Build.VoteResponse(2, 1, 1, granted: true));

        Assert.Equal(RaftRole.Candidate, node.Role);
    }

    // Raft §5.2: "Each server will vote for at most one candidate in a given term, on a
    // first-come-first-served basis." Repeating the granted request gets the same answer.
    [Fact]
    public void Follower_votes_for_at_most_one_candidate_per_term()
    {
        var node = Build.Node(1, 3);

        node.Step(Build.Vote(2, 1, term: 1, lastIndex: 0, lastTerm: 0));
        node.Step(Build.Vote(3, 1, term: 1, lastIndex: 0, lastTerm: 0));
        node.Step(Build.Vote(2, 1, term: 1, lastIndex: 0, lastTerm: 0));

        var answers = Build.DrainMessages(node).Where(m => m.Type == MessageType.VoteResponse).Select(m => (m.To, m.Reject)).ToList();
        Assert.Equal([(2UL, false), (3UL, true), (2UL, false)], answers);
        Assert.Equal(2UL, node.Vote);
    }

    // Raft §5.2 with Figure 2 "persistent state ... updated on stable storage before
    // responding to RPCs": the granted VoteResponse travels in MessagesAfterPersist, in the
    // same Ready as the HardState that records the vote, and never in MessagesNow.
    [Fact]
    public void Vote_is_in_the_hard_state_before_the_vote_response_leaves()
    {
        var (hardState, grantSentEarly, grantSentAfterPersist) = GrantVote(PlantedBug.None);

        Assert.Equal(new HardState(1, 2, 0), hardState);
        Assert.False(grantSentEarly, "the grant was in MessagesNow, before the vote was durable");
        Assert.True(grantSentAfterPersist);
    }

    [Fact]
    public void Planted_vote_before_persist_is_caught_by_the_durability_check()
    {
        var (_, grantSentEarly, _) = GrantVote(PlantedBug.VoteBeforePersist);

        Assert.True(grantSentEarly);
    }

    // The candidate's own vote is a vote like any other: it counts once it is durable.
    [Fact]
    public void Candidate_counts_its_own_vote_only_once_it_is_durable()
    {
        var node = Build.Node(1, 1);
        node.Campaign();

        Assert.Equal(RaftRole.Candidate, node.Role);
        var ready = node.GetReady();
        Assert.Equal(new HardState(1, 1, 0), ready.HardState);
        Assert.Equal(RaftRole.Candidate, node.Role);

        node.Advance(ready);

        Assert.Equal(RaftRole.Leader, node.Role);
    }

    [Fact]
    public void Vote_survives_a_restart()
    {
        var disk = new ScenarioDisk();
        var node = Build.Node(1, 3);
        node.Step(Build.Vote(2, 1, term: 1, lastIndex: 0, lastTerm: 0));
        Build.DrainMessages(node, disk);

        var restarted = Build.Node(1, 3, disk.ToLogState());
        restarted.Step(Build.Vote(3, 1, term: 1, lastIndex: 0, lastTerm: 0));

        var answer = Assert.Single(Build.DrainMessages(restarted, disk), m => m.Type == MessageType.VoteResponse);
        Assert.True(answer.Reject);
        Assert.Equal(new HardState(1, 2, 0), disk.HardState);
    }

    // Raft §5.2: "While waiting for votes, a candidate may receive an AppendEntries RPC from
    // another server claiming to be leader. If the leader's term ... is at least as large as
    // the candidate's current term, then the candidate ... returns to follower state."
    [Theory]
    [InlineData(MessageType.Append)]
    [InlineData(MessageType.Heartbeat)]
    public void Candidate_steps_down_on_hearing_from_a_leader_of_its_term(MessageType type)
    {
        var node = Build.Node(1, 3);
        node.Campaign();
        Build.DrainMessages(node);
        Assert.Equal(RaftRole.Candidate, node.Role);

        node.Step(type == MessageType.Append ? Build.Append(2, 1, term: 1, 0, 0) : Build.Heartbeat(2, 1, term: 1));

        Assert.Equal(RaftRole.Follower, node.Role);
        Assert.Equal(2UL, node.Leader);
        Assert.Equal(1UL, node.Term);
        Assert.Equal(1UL, node.Vote);
    }

    [Fact]
    public void Candidate_ignores_a_leader_of_an_older_term()
    {
        var node = Build.Node(1, 3, Build.Stored(term: 4, []));
        node.Campaign();
        Build.DrainMessages(node);

        node.Step(Build.Append(2, 1, term: 4, 0, 0));

        Assert.Equal(RaftRole.Candidate, node.Role);
        Assert.Equal(5UL, node.Term);
    }

    // Raft §5.2: "If many followers become candidates at the same time ... each candidate will
    // time out and start a new election by incrementing its term."
    [Fact]
    public void Candidate_starts_a_new_election_when_its_election_times_out()
    {
        var node = Build.Node(1, 3);
        node.Campaign();
        Build.DrainMessages(node);

        for (var i = 0; i < ElectionTicks; i++)
        {
            node.Tick();
        }

        Assert.Equal(RaftRole.Candidate, node.Role);
        Assert.Equal(2UL, node.Term);
        Assert.Equal(1UL, node.Vote);
    }

    private static int TicksUntilCampaign(IRandomSource random)
    {
        var node = Build.Node(1, 3, random: random);
        for (var tick = 1; tick <= 10 * ElectionTicks; tick++)
        {
            node.Tick();
            if (node.Role != RaftRole.Follower)
            {
                return tick;
            }
        }

        throw new InvalidOperationException("The follower never campaigned.");
    }

    private static (HardState? HardState, bool GrantSentEarly, bool GrantSentAfterPersist) GrantVote(PlantedBug bugs)
    {
        var node = Build.Node(1, 3, options: ScenarioOptions.Paper with { PlantedBugs = bugs });
        node.Step(Build.Vote(2, 1, term: 1, lastIndex: 0, lastTerm: 0));
        var ready = node.GetReady();
        static bool IsGrant(RaftMessage m) => m is { Type: MessageType.VoteResponse, Reject: false, To: 2 };
        return (ready.HardState, ready.MessagesNow.Any(IsGrant), ready.MessagesAfterPersist.Any(IsGrant));
    }
}
