using Raft.Actors.Testing.Linearizability;
using Raft.Actors.Testing.Services;
using Xunit;

namespace Raft.Actors.Tests.Simulation;

/// <summary>The sequence and lock checkers of the services workload, each rule shown to fail and to pass.</summary>
public sealed class ServiceCheckerTests
{
    private static SequenceOperation Range(int client, long invoked, long completed, long start, long end, OpOutcome outcome = OpOutcome.Ok) =>
        new(client, "s", invoked, completed, outcome, start, end);

    private static LockAcquisition Grant(int client, string owner, long invoked, long completed, long token, OpOutcome outcome = OpOutcome.Ok) =>
        new(client, "l", owner, invoked, completed, outcome, Granted: true, token);

    [Fact]
    public void Disjoint_ranges_in_real_time_order_pass_with_gaps_and_unknown_requests()
    {
        var history = new[]
        {
            Range(1, 0, 10, 0, 3),
            Range(2, 5, 8, 3, 4), // concurrent with the first: either order
            Range(3, 11, 12, 0, 0, OpOutcome.Unknown), // may have taken 4..6
            Range(1, 13, 20, 7, 9),
            Range(2, 14, 15, 0, 0, OpOutcome.Failed),
        };

        Assert.Null(SequenceChecker.Check(history));
    }

    [Fact]
    public void A_number_handed_out_twice_is_a_violation()
    {
        var violation = SequenceChecker.Check([Range(1, 0, 10, 0, 3), Range(2, 20, 30, 2, 5)]);

        Assert.Contains("handed out twice", violation);
    }

    [Fact]
    public void A_range_below_one_that_completed_before_it_was_asked_for_is_a_violation()
    {
        var violation = SequenceChecker.Check([Range(1, 0, 10, 5, 6), Range(2, 11, 12, 0, 5)]);

        Assert.Contains("not monotonic in real time", violation);
    }

    [Fact]
    public void Overlapping_requests_may_complete_in_either_order()
    {
        Assert.Null(SequenceChecker.Check([Range(1, 0, 10, 5, 6), Range(2, 10, 12, 0, 5)]));
    }

    [Fact]
    public void Fenced_writes_in_token_order_pass_and_a_refused_stale_one_is_fine()
    {
        var locks = new LockChecker();

        Assert.Null(locks.OnAcquire(1, "l", "a", granted: true, token: 1));
        Assert.Null(locks.OnFencedWrite(2, "l", 1, accepted: true));
        Assert.Null(locks.OnAcquire(3, "l", "b", granted: true, token: 2));
        Assert.Null(locks.OnFencedWrite(4, "l", 2, accepted: true));
        Assert.Null(locks.OnFencedWrite(5, "l", 1, accepted: false));
        Assert.Null(locks.OnAcquire(6, "l", "b", granted: true, token: 2)); // re-entered
        Assert.Equal((2, 1, 3), (locks.FencedWritesAccepted, locks.FencedWritesRefused, locks.Grants));
    }

    [Fact]
    public void A_stale_token_accepted_after_a_newer_one_is_a_violation()
    {
        var locks = new LockChecker();
        locks.OnAcquire(1, "l", "a", granted: true, token: 1);
        locks.OnAcquire(2, "l", "b", granted: true, token: 2);
        locks.OnFencedWrite(3, "l", 2, accepted: true);

        var violation = locks.OnFencedWrite(4, "l", 1, accepted: true);

        Assert.Contains("token 1, was accepted after one fenced with token 2", violation);
    }

    [Fact]
    public void A_token_never_granted_accepted_is_a_violation()
    {
        var locks = new LockChecker();
        locks.OnAcquire(1, "l", "a", granted: true, token: 1);

        Assert.Contains("highest token granted so far is 1", locks.OnFencedWrite(2, "l", 2, accepted: true));
        Assert.Contains("highest token granted so far is 0", locks.OnFencedWrite(3, "other", 1, accepted: true));
    }

    [Fact]
    public void A_grant_not_above_another_owners_token_is_a_violation()
    {
        var locks = new LockChecker();
        locks.OnAcquire(1, "l", "a", granted: true, token: 3);

        Assert.Contains("token 3 was granted before to 'a'", locks.OnAcquire(2, "l", "b", granted: true, token: 3));
        Assert.Null(locks.OnAcquire(3, "l", "b", granted: false, token: 3));
    }

    [Fact]
    public void Client_side_grants_must_rise_in_real_time_between_owners()
    {
        Assert.Null(LockChecker.CheckAcquisitions([Grant(1, "a", 0, 10, 1), Grant(2, "b", 11, 20, 2), Grant(1, "a", 21, 22, 3), Grant(1, "a", 23, 24, 3)]));
        Assert.Null(LockChecker.CheckAcquisitions([Grant(1, "a", 0, 10, 2), Grant(2, "b", 5, 20, 1)])); // concurrent
        Assert.Null(LockChecker.CheckAcquisitions([Grant(1, "a", 0, 10, 2), Grant(2, "b", 11, 20, 1, OpOutcome.Unknown)]));

        Assert.Contains("yet 'b' got token 1", LockChecker.CheckAcquisitions([Grant(1, "a", 0, 10, 2), Grant(2, "b", 11, 20, 1)]));
        Assert.Contains("token 2 granted to both", LockChecker.CheckAcquisitions([Grant(1, "a", 0, 10, 2), Grant(2, "b", 5, 20, 2)]));
    }
}
