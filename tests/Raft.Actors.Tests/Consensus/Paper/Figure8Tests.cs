using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Xunit;

namespace Raft.Actors.Tests.Consensus.Paper;

/// <summary>
/// Raft §5.4.2 and Figure 8: a leader must not commit an entry of an earlier term by counting
/// replicas; it commits it only indirectly, with an entry of its own term. PITFALLS row 1.
/// </summary>
[Trait("Paper", "§5.4.2")]
public sealed class Figure8Tests
{
    // Figure 8 (c): S1 leads term 4 with log [1, 2, 4]; the term-2 entry at index 2 reaches
    // S2 and S3, a majority together with S1, while the term-4 entry stays on S1 alone. S4
    // and S5 are cut off; S5 holds the term-3 entry at index 2 from Figure 8 (b).
    [Fact]
    public void Term_2_entry_on_a_majority_is_not_committed_by_counting_replicas_Figure_8c()
    {
        var net = Figure8c(PlantedBug.None);

        Assert.Equal(1UL, net.Node(1).CommitIndex);
        net.TickAll(5 * net.ElectionTicks);
        Assert.Equal(1UL, net.Node(1).CommitIndex);
        Assert.Equal(RaftRole.Leader, net.Node(1).Role);
        net.AssertSafe();
    }

    // Figure 8 (e): once the term-4 entry is on a majority, it commits, and the term-2 entry
    // before it commits with it.
    [Fact]
    public void Term_2_entry_commits_with_the_first_term_4_entry_Figure_8e()
    {
        var net = Figure8c(PlantedBug.None);

        net.Heal();
        net.TickAll(2);

        Assert.Equal(3UL, net.Node(1).CommitIndex);
        Assert.All([1UL, 2UL, 3UL], id => Assert.Equal([(1UL, 1UL), (2UL, 2UL), (3UL, 4UL)], net.Applied(id).Select(e => (e.Index, e.Term))));
        net.AssertSafe();
    }

    // Figure 8 (d): S1 crashes; S5 is elected with the votes of S2, S3 and S4 (its last term
    // 3 beats their 2) and replaces the term-2 entry everywhere. That is safe only because
    // nobody committed it.
    [Fact]
    public void Later_leader_overwrites_the_uncommitted_term_2_entry_Figure_8d()
    {
        var net = Figure8c(PlantedBug.None);

        var appliedAt2 = Figure8d(net);

        Assert.Equal((2UL, 3UL), appliedAt2);
        net.AssertSafe();
    }

    // The same run with the Figure 8 rule broken: S1 commits and applies the term-2 entry by
    // counting replicas, and S5 later commits a different entry at that index. Both checks
    // above would have failed.
    [Fact]
    public void Planted_prior_term_commit_commits_by_counting_and_loses_the_entry()
    {
        var net = Figure8c(PlantedBug.PriorTermCommit);

        Assert.Equal(2UL, net.Node(1).CommitIndex);
        Assert.Contains(net.Applied(1), e => e is { Index: 2, Term: 2 });

        Figure8d(net);

        Assert.Contains(net.Violations, v => v.StartsWith("index 2:", StringComparison.Ordinal));
    }

    private static ScenarioNetwork Figure8c(PlantedBug bugs)
    {
        // One entry per Append, so S2 and S3 can acknowledge index 2 without index 3.
        var options = ScenarioOptions.Paper with { MaxEntriesPerMessage = 1, PlantedBugs = bugs };
        var net = new ScenarioNetwork(5, options, storage: id => id switch
        {
            1 => Build.Stored(term: 3, [1, 2], commit: 1),
            5 => Build.Stored(term: 3, [1, 3], commit: 1),
            _ => Build.Stored(term: 3, [1], commit: 1),
        });
        net.Isolate(4);
        net.Isolate(5);

        // Keep the term-4 entry on S1 alone: drop every Append that would put it on a follower.
        net.Drop(m => m.Type == MessageType.Append && m.Entries.Any(e => e.Term == 4) &&
                      net.Node(m.To).Log.MatchTerm(m.Index, m.LogTerm));

        var s1 = net.Elect(1);

        Assert.Equal(4UL, s1.Term);
        Assert.Equal([(1UL, 1UL), (2UL, 2UL), (3UL, 4UL)], net.LogOf(1));
        Assert.Equal([(1UL, 1UL), (2UL, 2UL)], net.LogOf(2));
        Assert.Equal([(1UL, 1UL), (2UL, 2UL)], net.LogOf(3));
        Assert.Equal([2UL, 2UL], s1.GetStatus().Followers.Where(f => f.Key is 2 or 3).Select(f => f.Value.Match));
        return net;
    }

    /// <summary>S1 crashes; S5 wins term 5 and commits its log. Returns what S2 applied at index 2.</summary>
    private static (ulong Index, ulong Term) Figure8d(ScenarioNetwork net)
    {
        net.Stop(1);
        net.Heal();

        // Term 4: S2 and S3 already voted for S1, so S5 gets only S4's vote.
        net.Campaign(5);
        net.Deliver();
        Assert.Equal(RaftRole.Candidate, net.Node(5).Role);

        net.Elect(5);
        net.TickAll(2);

        Assert.Equal(5UL, net.Node(5).Term);
        Assert.Equal([(1UL, 1UL), (2UL, 3UL), (3UL, 5UL)], net.LogOf(2));
        var at2 = net.Applied(2)[1];
        return (at2.Index, at2.Term);
    }
}
