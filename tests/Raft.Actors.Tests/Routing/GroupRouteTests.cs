using Raft.Actors.Routing;
using Xunit;

namespace Raft.Actors.Tests.Routing;

public sealed class GroupRouteTests
{
    private static ReplicaAnswer FromLeader(ulong term, ulong configIndex, params ulong[] members) =>
        new() { Status = ReplicaAnswerStatus.Ok, FromLeader = true, Term = term, ConfigurationIndex = configIndex, Members = [.. members] };

    private static ReplicaAnswer NotLeader(ulong term, ulong hint) =>
        new() { Status = ReplicaAnswerStatus.NotLeader, Term = term, Leader = hint };

    [Fact]
    public void Seeds_are_asked_in_turn_until_one_is_known_to_lead()
    {
        var route = new GroupRoute(7, [1, 2, 3]);
        Assert.Equal([1UL, 2UL, 3UL, 1UL], [route.NextTarget(), route.NextTarget(), route.NextTarget(), route.NextTarget()]);
        route.Learn(2, FromLeader(1, 0, 1, 2, 3));
        Assert.Equal(2UL, route.NextTarget());
        Assert.Equal(2UL, route.NextTarget());
    }

    [Fact]
    public void A_leaders_membership_replaces_the_seeds_and_a_removed_leader_is_forgotten()
    {
        var route = new GroupRoute(7, [1, 2, 3]);
        route.Learn(3, FromLeader(2, 10, 1, 2, 3));
        route.Learn(1, FromLeader(3, 12, 1, 2, 4));
        Assert.Equal([1UL, 2UL, 4UL], route.Members);
        Assert.Equal(1UL, route.Leader);
    }

    [Fact]
    public void A_deposed_leaders_older_membership_does_not_win_over_a_newer_one()
    {
        var route = new GroupRoute(7, [1, 2, 3]);
        route.Learn(1, FromLeader(5, 20, 1, 2));

        // Node 3 led in term 4 and knew a later configuration entry that the term-5 leader dropped.
        route.Learn(3, FromLeader(4, 30, 1, 2, 3));
        Assert.Equal([1UL, 2UL], route.Members);
    }

    [Fact]
    public void A_hint_naming_a_removed_node_is_ignored_unless_it_comes_from_a_newer_term()
    {
        var route = new GroupRoute(7, [1, 2, 3]);
        route.Learn(1, FromLeader(5, 20, 1, 2));

        Assert.False(route.Learn(2, NotLeader(5, 3)));
        Assert.NotEqual(3UL, route.NextTarget());

        // Node 9 may have been added and elected since: a newer term's hint is followed.
        Assert.True(route.Learn(2, NotLeader(6, 9)));
        Assert.Equal(9UL, route.NextTarget());
    }

    [Fact]
    public void A_node_that_failed_is_asked_last_but_still_asked_when_it_is_the_only_one()
    {
        var route = new GroupRoute(7, [1, 2]);
        route.Learn(1, FromLeader(1, 0, 1, 2));
        route.Failed(1);
        Assert.Equal(2UL, route.NextTarget());
        Assert.Equal(2UL, route.NextTarget());

        var single = new GroupRoute(7, [5]);
        single.Failed(5);
        Assert.Equal(5UL, single.NextTarget());
    }

    [Fact]
    public void Seeds_must_name_at_least_one_node_and_no_zero()
    {
        Assert.Throws<ArgumentException>(() => new GroupRoute(7, []));
        Assert.Throws<ArgumentException>(() => new GroupRoute(7, [1, 0]));
    }
}
