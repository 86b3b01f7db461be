using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Xunit;

namespace Raft.Actors.Tests.Consensus.Paper;

/// <summary>Raft §5.3, log replication.</summary>
[Trait("Paper", "§5.3")]
public sealed class LogReplicationTests
{
    // Raft §5.3: "The leader appends the command to its log as a new entry, then issues
    // AppendEntries RPCs in parallel to each of the other servers to replicate the entry."
    [Fact]
    public void Leader_appends_a_proposal_and_sends_it_to_every_follower()
    {
        var net = new ScenarioNetwork(3, ScenarioOptions.Paper);
        net.Elect(1);

        var result = net.Propose(1, "x");

        Assert.Equal(ProposeStatus.Accepted, result.Status);
        Assert.Equal((2UL, 1UL), (result.Index, result.Term));
        var ready = net.ProcessReady(1)!;
        var entry = Assert.Single(ready.EntriesToPersist);
        Assert.Equal((2UL, 1UL), (entry.Index, entry.Term));
        var appends = ready.MessagesNow.Where(m => m.Type == MessageType.Append).OrderBy(m => m.To).ToList();
        Assert.Equal([2UL, 3UL], appends.Select(m => m.To));
        Assert.All(appends, m =>
        {
            Assert.Equal((1UL, 1UL), (m.Index, m.LogTerm));
            Assert.Equal(entry, Assert.Single(m.Entries));
        });

        net.Deliver();

        Assert.All(net.Ids, id => Assert.Equal(["x"], net.AppliedCommands(id)));
        net.AssertSafe();
    }

    // Raft §5.3: "A log entry is committed once the leader that created the entry has
    // replicated it on a majority of the servers"; followers learn the commit index from the
    // leader's later AppendEntries (Figure 2: commitIndex = min(leaderCommit, last new entry)).
    [Theory]
    [InlineData(3, 1, true)]
    [InlineData(3, 0, false)]
    [InlineData(5, 2, true)]
    [InlineData(5, 1, false)]
    [InlineData(5, 0, false)]
    public void Leader_commits_an_entry_once_a_majority_stores_it(int size, int reachableFollowers, bool committed)
    {
        var net = new ScenarioNetwork(size, ScenarioOptions.Paper);
        var leader = net.Elect(1);
        for (var id = 2UL + (ulong)reachableFollowers; id <= (ulong)size; id++)
        {
            net.Isolate(id);
        }

        var result = net.Propose(1, "x");
        net.Deliver();

        Assert.Equal(committed, leader.CommitIndex >= result.Index);
        for (var id = 2UL; id < 2UL + (ulong)reachableFollowers; id++)
        {
            Assert.Equal(2UL, net.Node(id).LastIndex);
            Assert.Equal(leader.CommitIndex, net.Node(id).CommitIndex);
        }

        net.AssertSafe();
    }

    // Raft §5.3 consistency check: "If the follower does not find an entry in its log with the
    // same index and term, then it refuses the new entries."
    [Theory]
    [InlineData(0UL, 0UL, true)]
    [InlineData(1UL, 1UL, true)]
    [InlineData(2UL, 2UL, true)]
    [InlineData(3UL, 3UL, true)]
    [InlineData(3UL, 2UL, false)]
    [InlineData(2UL, 1UL, false)]
    [InlineData(1UL, 2UL, false)]
    [InlineData(4UL, 3UL, false)]
    public void Follower_rejects_an_append_whose_previous_entry_does_not_match(ulong prevIndex, ulong prevTerm, bool accepted)
    {
        var node = Build.Node(1, 3, Build.Stored(term: 3, [1, 2, 3]));

        node.Step(Build.Append(2, 1, term: 3, prevIndex, prevTerm, Build.Entries(prevIndex + 1, 3)));

        var response = Assert.Single(Build.DrainMessages(node), m => m.Type == MessageType.AppendResponse);
        Assert.Equal(!accepted, response.Reject);
        if (accepted)
        {
            Assert.Equal(prevIndex + 1, response.Index);
        }
        else
        {
            Assert.Equal(prevIndex, response.Index);
            Assert.Equal([1UL, 2UL, 3UL], Terms(node));
        }
    }

    public static TheoryData<ulong, ulong, ulong[], ulong[]> Appends => new()
    {
        // prev index, prev term, terms of the new entries, the follower's log afterwards
        { 2, 2, [3], [1, 2, 3] },
        { 1, 1, [3, 4], [1, 3, 4] },
        { 0, 0, [1], [1, 2] },
        { 0, 0, [3], [3] },
        { 0, 0, [1, 2], [1, 2] },
        { 1, 1, [], [1, 2] },
    };

    // Raft §5.3: "If an existing entry conflicts with a new one (same index but different
    // terms), delete the existing entry and all that follow it". Entries that match stay.
    [Theory]
    [MemberData(nameof(Appends))]
    public void Follower_replaces_only_a_conflicting_suffix(ulong prevIndex, ulong prevTerm, ulong[] newTerms, ulong[] expected)
    {
        var node = Build.Node(1, 3, Build.Stored(term: 2, [1, 2]));

        node.Step(Build.Append(2, 1, term: 4, prevIndex, prevTerm, Build.Entries(prevIndex + 1, newTerms)));
        var disk = new ScenarioDisk(Build.Stored(term: 2, [1, 2]));
        Build.DrainMessages(node, disk);

        Assert.Equal(expected, Terms(node));
        Assert.Equal(expected, disk.Entries.Select(e => e.Term));
    }

    public static TheoryData<ulong[], ulong, ulong, ulong> Commits => new()
    {
        // follower log, leader commit, entries in the append (from index 1, term 1), follower commit afterwards
        { [], 1, 1, 1 },
        { [], 2, 2, 2 },
        { [], 1, 2, 1 },
        { [], 5, 2, 2 },
        { [1, 1, 1], 3, 1, 1 },
    };

    // Raft Figure 2: "If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index
    // of last new entry)" — entries past the last new one may still differ from the leader's.
    [Theory]
    [MemberData(nameof(Commits))]
    public void Follower_commit_follows_the_leader_commit_up_to_the_last_new_entry(ulong[] log, ulong leaderCommit, ulong entries, ulong expected)
    {
        var node = Build.Node(1, 3, Build.Stored(term: 1, log));

        node.Step(Build.Append(2, 1, term: 1, 0, 0, Build.Log([.. Enumerable.Repeat(1UL, (int)entries)]), leaderCommit));

        Assert.Equal(expected, node.CommitIndex);
        Build.DrainMessages(node);
        Assert.Equal(expected, node.AppliedIndex);
    }

    private static readonly ulong[] s_figure7Leader = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];

    public static TheoryData<string, ulong[]> Figure7Followers => new()
    {
        { "a", [1, 1, 1, 4, 4, 5, 5, 6, 6] },
        { "b", [1, 1, 1, 4] },
        { "c", [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6] },
        { "d", [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7] },
        { "e", [1, 1, 1, 4, 4, 4, 4] },
        { "f", [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3] },
    };

    // Raft §5.3, Figure 7: whatever the follower's log — missing entries (a, b), extra
    // uncommitted entries (c, d), or both (e, f) — "the leader handles inconsistencies by
    // forcing the followers' logs to duplicate its own". Node 3 holds the leader's log and
    // votes for it; the follower may refuse.
    [Theory]
    [MemberData(nameof(Figure7Followers))]
    public void Leader_brings_each_Figure_7_follower_in_line(string figureCase, ulong[] followerLog)
    {
        var net = new ScenarioNetwork(3, ScenarioOptions.Paper, storage: id => id switch
        {
            2 => Build.Stored(term: 7, followerLog),
            _ => Build.Stored(term: 8, s_figure7Leader),
        });

        var leader = net.Elect(1);
        net.TickAll(2);

        Assert.Equal(9UL, leader.Term);
        Assert.True(net.LogOf(1).Count == 11, $"case {figureCase}: leader log {string.Join(",", net.LogOf(1))}");
        Assert.Equal(net.LogOf(1), net.LogOf(2));
        Assert.Equal(net.Disk(1).Entries, net.Disk(2).Entries);
        Assert.Equal(leader.CommitIndex, net.Node(2).CommitIndex);
        Assert.Equal(11UL, leader.CommitIndex);
        net.AssertSafe();
    }

    // Raft §5.3 commits a follower's entries only through an AppendEntries whose consistency
    // check passed. A heartbeat skips that check, so the leader must never send a commit index
    // beyond what the follower is known to share: here the Figure 7 (f) follower hears only
    // heartbeats while the leader commits with node 3.
    [Fact]
    public void Heartbeat_never_commits_entries_a_follower_does_not_share()
    {
        var net = new ScenarioNetwork(3, ScenarioOptions.Paper, storage: id => id switch
        {
            2 => Build.Stored(term: 7, [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]),
            _ => Build.Stored(term: 8, s_figure7Leader),
        });
        net.Drop(m => m is { Type: MessageType.Append, To: 2 });

        var leader = net.Elect(1);
        net.TickAll(3);

        Assert.Equal(11UL, leader.CommitIndex);
        Assert.Contains(net.Delivered, m => m is { Type: MessageType.Heartbeat, To: 2 });
        Assert.Equal(0UL, net.Node(2).CommitIndex);
        Assert.Empty(net.Applied(2));
        net.AssertSafe();
    }

    private static ulong[] Terms(RaftNode node)
    {
        var log = node.Log;
        var terms = new ulong[log.LastIndex];
        for (var i = 1UL; i <= log.LastIndex; i++)
        {
            terms[i - 1] = log.TermOrZero(i);
        }

        return terms;
    }
}
