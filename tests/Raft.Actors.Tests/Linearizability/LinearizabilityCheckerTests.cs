using Raft.Actors.Testing.Linearizability;
using Xunit;
using static Raft.Actors.Tests.Linearizability.Ops;

namespace Raft.Actors.Tests.Linearizability;

public class LinearizabilityCheckerTests
{
    [Fact]
    public void Empty_history_is_linearizable()
    {
        var result = LinearizabilityChecker.Check([]);

        Assert.True(result.IsLinearizable);
        Assert.False(result.TimedOut);
        Assert.Null(result.Key);
    }

    [Fact]
    public void Sequential_history_that_follows_the_register_is_linearizable()
    {
        AssertLinearizable(
            Get(1, "a", null, 0, 5),
            Put(1, "a", "x", 10, 15),
            Get(2, "a", "x", 20, 25),
            Cas(1, "a", "x", "y", applied: true, 30, 35),
            Cas(2, "a", "x", "z", applied: false, 40, 45),
            Get(1, "a", "y", 50, 55));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("x")]
    public void Get_overlapping_a_put_may_read_the_old_or_the_new_value(string? read)
    {
        AssertLinearizable(
            Put(1, "a", "x", 0, 20),
            Get(2, "a", read, 5, 15));
    }

    [Fact]
    public void Overlapping_puts_may_take_effect_in_either_order()
    {
        AssertLinearizable(
            Put(1, "a", "x", 0, 20),
            Put(2, "a", "y", 5, 25),
            Get(3, "a", "x", 30, 35));
        AssertLinearizable(
            Put(1, "a", "x", 0, 20),
            Put(2, "a", "y", 5, 25),
            Get(3, "a", "y", 30, 35));
    }

    [Fact]
    public void Operations_that_touch_at_one_instant_count_as_concurrent()
    {
        AssertLinearizable(
            Put(1, "a", "x", 0, 10),
            Get(2, "a", null, 10, 20));
    }

    [Fact]
    public void Stale_read_after_completed_put_is_not_linearizable()
    {
        AssertViolation("a",
            Put(1, "a", "x", 0, 10),
            Get(2, "a", null, 20, 30));
    }

    [Fact]
    public void Read_that_goes_back_in_time_is_not_linearizable()
    {
        // Both puts overlap both reads' predecessors, but once one client saw "y" after "x" was
        // written, a later read cannot see "x" again.
        AssertViolation("a",
            Put(1, "a", "x", 0, 10),
            Put(2, "a", "y", 5, 30),
            Get(3, "a", "y", 31, 35),
            Get(4, "a", "x", 40, 45));
    }

    [Fact]
    public void Read_of_a_value_never_written_is_not_linearizable()
    {
        AssertViolation("a",
            Put(1, "a", "x", 0, 10),
            Get(2, "a", "ghost", 5, 30));
    }

    [Fact]
    public void Lost_acknowledged_write_is_not_linearizable()
    {
        AssertViolation("a",
            Put(1, "a", "x", 0, 10),
            Put(1, "a", "y", 20, 30),
            Get(2, "a", "x", 40, 50));
    }

    [Fact]
    public void Cas_on_an_absent_key_applies_when_it_expects_absent()
    {
        AssertLinearizable(
            Cas(1, "a", null, "x", applied: true, 0, 10),
            Cas(2, "a", null, "y", applied: false, 20, 30),
            Get(1, "a", "x", 40, 50));
    }

    [Fact]
    public void Cas_that_swapped_without_its_expected_value_is_not_linearizable()
    {
        AssertViolation("a",
            Put(1, "a", "x", 0, 10),
            Cas(2, "a", "y", "z", applied: true, 20, 30));
    }

    [Fact]
    public void Cas_that_refused_while_its_expected_value_was_held_is_not_linearizable()
    {
        AssertViolation("a",
            Put(1, "a", "x", 0, 10),
            Cas(2, "a", "x", "z", applied: false, 20, 30));
    }

    [Fact]
    public void Two_concurrent_cas_from_the_same_value_cannot_both_apply()
    {
        AssertViolation("a",
            Put(1, "a", "x", 0, 10),
            Cas(2, "a", "x", "y", applied: true, 20, 40),
            Cas(3, "a", "x", "z", applied: true, 25, 45));
    }

    [Fact]
    public void Concurrent_cas_where_one_applies_and_the_other_fails_is_linearizable()
    {
        AssertLinearizable(
            Put(1, "a", "x", 0, 10),
            Cas(2, "a", "x", "y", applied: true, 20, 40),
            Cas(3, "a", "x", "z", applied: false, 25, 45),
            Get(1, "a", "y", 50, 60));
    }

    [Fact]
    public void Unknown_put_that_may_explain_a_later_read_is_accepted()
    {
        AssertLinearizable(
            Put(1, "a", "x", 0, 10),
            UnknownPut(2, "a", "y", 20),
            Get(3, "a", "x", 30, 40),
            Get(3, "a", "y", 100, 110));
    }

    [Fact]
    public void Unknown_put_that_is_never_observed_is_accepted()
    {
        AssertLinearizable(
            Put(1, "a", "x", 0, 10),
            UnknownPut(2, "a", "y", 20),
            Get(3, "a", "x", 30, 40),
            Get(3, "a", "x", 100, 110));
    }

    [Fact]
    public void Unknown_put_cannot_take_effect_before_it_was_invoked()
    {
        AssertViolation("a",
            Get(1, "a", "y", 0, 10),
            UnknownPut(2, "a", "y", 20));
    }

    [Fact]
    public void Unknown_put_takes_effect_at_most_once()
    {
        AssertViolation("a",
            UnknownPut(1, "a", "x", 0),
            Get(2, "a", "x", 10, 20),
            Put(2, "a", "y", 30, 40),
            Get(2, "a", "x", 50, 60));
    }

    [Fact]
    public void Unknown_cas_may_have_applied_or_not()
    {
        AssertLinearizable(
            Put(1, "a", "x", 0, 10),
            UnknownCas(2, "a", "x", "y", 20),
            Get(3, "a", "x", 30, 40),
            Get(3, "a", "y", 50, 60));
        AssertLinearizable(
            Put(1, "a", "x", 0, 10),
            UnknownCas(2, "a", "x", "y", 20),
            Get(3, "a", "x", 30, 40),
            Get(3, "a", "x", 50, 60));
    }

    [Fact]
    public void Unknown_cas_applies_only_from_its_expected_value()
    {
        AssertViolation("a",
            Put(1, "a", "x", 0, 10),
            UnknownCas(2, "a", "other", "y", 20),
            Get(3, "a", "y", 30, 40));
    }

    [Fact]
    public void Unknown_get_constrains_nothing()
    {
        AssertLinearizable(
            Put(1, "a", "x", 0, 10),
            UnknownGet(2, "a", "nonsense", 20),
            Get(3, "a", "x", 30, 40));
    }

    [Fact]
    public void Failed_put_whose_value_is_read_is_not_linearizable()
    {
        AssertViolation("a",
            Put(1, "a", "x", 0, 10),
            FailedPut(2, "a", "y", 20, 30),
            Get(3, "a", "y", 40, 50));
    }

    [Fact]
    public void Keys_do_not_constrain_each_other()
    {
        AssertLinearizable(
            Put(1, "a", "x", 0, 10),
            Get(2, "b", null, 20, 30),
            Put(2, "b", "x", 40, 50),
            Get(1, "a", "x", 60, 70));
    }

    [Fact]
    public void Violation_in_one_key_is_reported_for_that_key()
    {
        var result = AssertViolation("b",
            Put(1, "a", "x", 0, 10),
            Put(2, "b", "y", 0, 10),
            Get(1, "a", "x", 20, 30),
            Get(2, "b", null, 20, 30),
            Get(3, "c", null, 20, 30));

        Assert.Contains("Key \"b\"", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Explanation_shows_the_linearized_prefix_and_the_operation_that_cannot_take_effect()
    {
        var result = AssertViolation("a",
            Put(1, "a", "x", 0, 10),
            Put(1, "a", "y", 20, 30),
            Get(2, "a", "x", 40, 50));

        Assert.Contains("#0 client 1: put \"x\" [0, 10]  => \"x\"", result.Explanation, StringComparison.Ordinal);
        Assert.Contains("#1 client 1: put \"y\" [20, 30]  => \"y\"", result.Explanation, StringComparison.Ordinal);
        Assert.Contains("#2 client 2: get -> \"x\" [40, 50]: reads \"x\" but the register holds \"y\"", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void History_order_in_the_list_does_not_matter()
    {
        AssertViolation("a",
            Get(2, "a", null, 20, 30),
            Put(1, "a", "x", 0, 10));
        AssertLinearizable(
            Get(2, "a", "x", 20, 30),
            Put(1, "a", "x", 0, 10));
    }

    [Fact]
    public void Exhausted_budget_is_undecided_rather_than_a_pass_or_a_violation()
    {
        var result = LinearizabilityChecker.Check([Put(1, "a", "x", 0, 10), Get(2, "a", null, 20, 30)], TimeSpan.Zero);

        Assert.True(result.TimedOut);
        Assert.True(result.IsLinearizable);
        Assert.Equal("a", result.Key);
        Assert.Contains("inconclusive", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Operation_that_completes_before_it_is_invoked_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => LinearizabilityChecker.Check([Put(1, "a", "x", 10, 5)]));
    }

    [Fact]
    public void Negative_budget_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LinearizabilityChecker.Check([], TimeSpan.FromSeconds(-1)));
    }

    private static void AssertLinearizable(params KvOperation[] history)
    {
        var result = LinearizabilityChecker.Check(history);

        Assert.False(result.TimedOut, result.Explanation);
        Assert.True(result.IsLinearizable, result.Explanation);
        Assert.Null(result.Key);
    }

    private static LinearizabilityResult AssertViolation(string key, params KvOperation[] history)
    {
        var result = LinearizabilityChecker.Check(history);

        Assert.False(result.TimedOut, result.Explanation);
        Assert.False(result.IsLinearizable, "expected a violation");
        Assert.Equal(key, result.Key);
        return result;
    }
}
