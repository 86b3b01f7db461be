using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Xunit;

namespace Raft.Actors.Tests.Consensus.Paper;

/// <summary>Raft §8, client interaction: the new leader's no-op and read-only requests. PITFALLS row 2.</summary>
[Trait("Paper", "§8")]
public sealed class ClientInteractionTests
{
    // Raft §8: "a leader must have the latest information on which entries are committed ...
    // Raft handles this by having each leader commit a blank no-op entry into the log at the
    // start of its term."
    [Fact]
    public void New_leader_appends_an_empty_entry_of_its_term()
    {
        var net = new ScenarioNetwork(3, ScenarioOptions.Paper, storage: _ => Build.Stored(term: 2, [1, 2], commit: 1));

        var leader = net.Elect(1);

        Assert.Equal(3UL, leader.Term);
        var noOp = leader.Log.EntryAt(3);
        Assert.Equal(3UL, noOp.Term);
        Assert.True(noOp.IsNoOp);
        Assert.Equal(3UL, leader.CommitIndex);
        Assert.All(net.Ids, id => Assert.Equal([1UL, 2UL, 3UL], net.Applied(id).Select(e => e.Index)));
    }

    // Raft §8: a read must not return stale data, so "a leader must have the latest
    // information on which entries are committed" before it answers. Entry 2 may have been
    // committed by the previous leader; a read index of 1 could miss it.
    [Fact]
    public void ReadIndex_waits_until_the_leader_commits_an_entry_of_its_term()
    {
        var (net, earlyReads) = ReadBeforeTheNoOpCommits(PlantedBug.None);

        Assert.Empty(earlyReads);

        net.Release();
        net.Deliver();

        var read = Assert.Single(net.ReadStates(1));
        Assert.Equal(42UL, read.RequestId);
        Assert.Equal(3UL, read.Index);
        Assert.Equal(3UL, net.Node(1).CommitIndex);
    }

    [Fact]
    public void Planted_stale_read_is_answered_before_the_leader_commits_in_its_term()
    {
        var (_, earlyReads) = ReadBeforeTheNoOpCommits(PlantedBug.StaleRead);

        Assert.Equal(1UL, Assert.Single(earlyReads).Index);
    }

    // Raft §8 / thesis §6.4: a follower asks the leader for the read index; the answer is the
    // leader's commit index once the leader has confirmed it still leads.
    [Fact]
    public void Follower_read_is_answered_with_the_leaders_commit_index()
    {
        var net = new ScenarioNetwork(3, ScenarioOptions.Paper);
        net.Elect(1);
        net.Propose(1, "x");
        net.Deliver();

        Assert.True(net.ReadIndex(2, 7));
        net.Deliver();

        Assert.Equal(new ReadState(7, 2), Assert.Single(net.ReadStates(2)));
    }

    private static (ScenarioNetwork Net, List<ReadState> EarlyReads) ReadBeforeTheNoOpCommits(PlantedBug bugs)
    {
        var options = ScenarioOptions.Paper with { PlantedBugs = bugs };
        var net = new ScenarioNetwork(3, options, storage: _ => Build.Stored(term: 1, [1, 1], commit: 1));
        net.Hold(m => m.Type == MessageType.AppendResponse);

        var leader = net.Elect(1);
        Assert.True(net.ReadIndex(1, 42));
        net.Deliver();
        net.TickAll(3);

        Assert.Equal(1UL, leader.CommitIndex);
        Assert.Equal(RaftRole.Leader, leader.Role);
        return (net, [.. net.ReadStates(1)]);
    }
}
