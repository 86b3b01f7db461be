using Raft.Actors.Protocol;
using Xunit;

namespace Raft.Actors.Tests.Consensus.Scenarios;

/// <summary>
/// Thesis §5.4 / etcd's findConflictByTerm: a follower's rejection names the term it has at the
/// probed index, so the leader skips a whole term per round trip instead of one entry.
/// </summary>
public sealed class FastBacktrackingTests
{
    public static TheoryData<string, ulong[], ulong[], int> Logs => new()
    {
        // case, leader log, follower log, most rejections allowed
        { "divergent term of equal length", [1, .. Repeat(3, 50)], [1, .. Repeat(2, 50)], 1 },
        { "longer divergent suffix", [1, .. Repeat(3, 10)], [1, .. Repeat(2, 200)], 1 },
        { "higher-term divergent suffix", [1, .. Repeat(3, 10)], [1, .. Repeat(5, 200)], 1 },
        { "lagging follower", [1, .. Repeat(3, 100)], [1, .. Repeat(3, 5)], 1 },
        { "several terms on both sides", [1, .. Repeat(1, 10), .. Repeat(4, 30)], [1, .. Repeat(2, 20), .. Repeat(3, 20), .. Repeat(5, 20)], 3 },
    };

    [Theory]
    [MemberData(nameof(Logs))]
    public void Follower_with_a_long_divergent_suffix_is_repaired_in_a_round_trip_per_term(string @case, ulong[] leaderLog, ulong[] followerLog, int maxRejections)
    {
        // Node 3 holds the leader's log and votes for it; the follower may refuse.
        var net = new ScenarioNetwork(3, ScenarioOptions.Paper, storage: id => id == 2
            ? Build.Stored(term: 6, followerLog)
            : Build.Stored(term: 6, leaderLog));

        net.Elect(1);
        net.TickAll(2);

        var rejections = net.Delivered.Count(m => m is { Type: MessageType.AppendResponse, From: 2, Reject: true });
        Assert.True(rejections <= maxRejections, $"{@case}: {rejections} rejections");
        Assert.Equal(net.LogOf(1), net.LogOf(2));
        Assert.Equal(net.Node(1).CommitIndex, net.Node(2).CommitIndex);
        net.AssertSafe();
    }

    private static ulong[] Repeat(ulong term, int count) => [.. Enumerable.Repeat(term, count)];
}
