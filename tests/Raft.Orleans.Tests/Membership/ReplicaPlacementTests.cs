using Raft.Orleans.Membership;

namespace Raft.Orleans.Tests.Membership;

public sealed class ReplicaPlacementTests
{
    private static readonly ulong[] s_groups = [.. Enumerable.Range(1, 64).Select(g => (ulong)g)];

    [Theory]
    [InlineData(3, 3)]
    [InlineData(4, 3)]
    [InlineData(7, 3)]
    [InlineData(5, 5)]
    [InlineData(9, 5)]
    public void Every_group_gets_the_factor_on_distinct_nodes_and_no_node_holds_more_than_one_above_its_share(int nodes, int factor)
    {
        var ids = Enumerable.Range(1, nodes).Select(n => (ulong)n * 7919).ToArray();
        var plan = ReplicaPlacement.Plan(s_groups, ids, factor);

        Assert.All(plan.Values, members => Assert.Equal(factor, members.Distinct().Count()));
        var cap = ((s_groups.Length * factor) + nodes - 1) / nodes;
        var load = ids.ToDictionary(id => id, id => plan.Values.Count(m => m.Contains(id)));
        Assert.All(load.Values, count => Assert.InRange(count, 1, cap + 1));
    }

    [Fact]
    public void Fewer_nodes_than_the_factor_put_every_node_in_every_group()
    {
        var plan = ReplicaPlacement.Plan(s_groups, [5, 6], 3);
        Assert.All(plan.Values, members => Assert.Equal([5UL, 6UL], members));
    }

    [Fact]
    public void The_plan_depends_only_on_its_inputs_not_on_their_order()
    {
        var a = ReplicaPlacement.Plan(s_groups, [11, 22, 33, 44], 3);
        var b = ReplicaPlacement.Plan(s_groups.Reverse(), [44, 22, 11, 33, 22], 3);
        Assert.Equal(a.OrderBy(p => p.Key).Select(p => p.Value), b.OrderBy(p => p.Key).Select(p => p.Value));
    }

    [Fact]
    public void A_node_joining_moves_only_some_replicas_onto_itself()
    {
        ulong[] three = [11, 22, 33, 44, 55];
        var before = ReplicaPlacement.Plan(s_groups, three, 3);
        var after = ReplicaPlacement.Plan(s_groups, [.. three, 66], 3);

        var moved = s_groups.Sum(g => after[g].Except(before[g]).Count());
        var onNewNode = s_groups.Count(g => after[g].Contains(66UL));
        Assert.True(onNewNode > 0);
        // Rendezvous hashing with a cap: most new replicas land on the new node; a few others shift
        // because the cap changed. Far from a reshuffle (which would move about 2/3 of 192).
        Assert.InRange(moved, onNewNode, onNewNode * 2);
    }

    [Fact]
    public void Desired_members_skip_a_node_the_group_refuses_and_take_the_next_in_its_ranking()
    {
        ulong[] nodes = [11, 22, 33, 44];
        var plan = ReplicaPlacement.Plan([7], nodes, 3)[7];
        var refused = plan[0];

        var desired = ReplicaPlacement.Desired(7, plan, nodes, 3, n => n != refused);

        Assert.Equal(3, desired.Length);
        Assert.DoesNotContain(refused, desired);
        Assert.Equal(nodes.Except([refused]).Order(), desired);
    }
}
