using Raft.Actors.Testing.Linearizability;
using Xunit;

namespace Raft.Actors.Tests.Linearizability;

public class VisitedConfigurationsTests
{
    [Fact]
    public void Same_configuration_is_recorded_once()
    {
        var visited = new VisitedConfigurations();
        var (known, unknown) = Sets(known: [0, 2], unknown: [1]);

        Assert.True(visited.TryAdd(known, unknown, state: 3));
        Assert.False(visited.TryAdd(known, unknown, state: 3));
    }

    [Fact]
    public void Different_state_or_known_set_is_a_different_configuration()
    {
        var visited = new VisitedConfigurations();
        var (known, unknown) = Sets(known: [0], unknown: []);
        Assert.True(visited.TryAdd(known, unknown, state: 3));

        Assert.True(visited.TryAdd(known, unknown, state: 4));
        known.Add(1);
        Assert.True(visited.TryAdd(known, unknown, state: 3));
    }

    [Fact]
    public void Configuration_that_used_more_unknown_operations_than_a_visited_one_is_covered()
    {
        var visited = new VisitedConfigurations();
        var (known, unknown) = Sets(known: [0], unknown: [1]);
        Assert.True(visited.TryAdd(known, unknown, state: 3));

        unknown.Add(5);

        Assert.False(visited.TryAdd(known, unknown, state: 3));
    }

    [Fact]
    public void Configuration_that_used_fewer_unknown_operations_than_a_visited_one_is_new()
    {
        var visited = new VisitedConfigurations();
        var (known, unknown) = Sets(known: [0], unknown: [1, 5]);
        Assert.True(visited.TryAdd(known, unknown, state: 3));

        unknown.Remove(5);

        Assert.True(visited.TryAdd(known, unknown, state: 3));
    }

    [Fact]
    public void Configuration_that_used_different_unknown_operations_is_new()
    {
        var visited = new VisitedConfigurations();
        var (known, unknown) = Sets(known: [0], unknown: [1]);
        Assert.True(visited.TryAdd(known, unknown, state: 3));

        unknown.Remove(1);
        unknown.Add(70);

        Assert.True(visited.TryAdd(known, unknown, state: 3));
    }

    [Fact]
    public void Known_sets_are_told_apart_wherever_they_differ()
    {
        var visited = new VisitedConfigurations();
        var unknown = new LinearizedSet(10);
        int[][] knownSets =
        [
            [],
            [0],
            [.. Enumerable.Range(0, 64)],
            [.. Enumerable.Range(0, 128)],
            [.. Enumerable.Range(0, 64), 200],
            [.. Enumerable.Range(0, 64), 201],
            [.. Enumerable.Range(0, 64), 64, 200],
            [.. Enumerable.Range(0, 299)],
        ];

        foreach (var members in knownSets)
        {
            var known = new LinearizedSet(299);
            foreach (var op in members)
            {
                known.Add(op);
            }

            Assert.True(visited.TryAdd(known, unknown, state: 0), $"{{{string.Join(",", members)}}} taken for an earlier set");
            Assert.False(visited.TryAdd(known, unknown, state: 0));
        }
    }

    private static (LinearizedSet Known, LinearizedSet Unknown) Sets(int[] known, int[] unknown)
    {
        var knownSet = new LinearizedSet(100);
        var unknownSet = new LinearizedSet(100);
        foreach (var op in known)
        {
            knownSet.Add(op);
        }

        foreach (var op in unknown)
        {
            unknownSet.Add(op);
        }

        return (knownSet, unknownSet);
    }
}
