using Microsoft.Extensions.Time.Testing;
using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Runtime;
using Xunit;

namespace Raft.Actors.Tests.Runtime;

/// <summary>The snapshot transfer cap on a fake clock: when each part may go, to the tick.</summary>
public sealed class SnapshotThrottleTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Parts_of_a_transfer_go_out_no_faster_than_the_rate()
    {
        // Ten parts of 1,000 bytes at 2,000 bytes/s: part n may go at n × 0.5 s, the last at 4.5 s.
        var time = new FakeTimeProvider();
        var throttle = new SnapshotThrottle(2_000, time);
        var parts = Enumerable.Range(0, 10).Select(_ => throttle.WaitAsync(1_000, CancellationToken.None).AsTask()).ToArray();

        Assert.True(parts[0].IsCompletedSuccessfully, "the first part waits for nothing");
        for (var n = 1; n < parts.Length; n++)
        {
            time.Advance(TimeSpan.FromMilliseconds(500) - TimeSpan.FromTicks(1));
            Assert.False(parts[n].IsCompleted, $"part {n} went before {n * 0.5} s");
            time.Advance(TimeSpan.FromTicks(1));
            await parts[n].WaitAsync(s_bound);
            Assert.All(parts[(n + 1)..], p => Assert.False(p.IsCompleted));
        }
    }

    [Fact]
    public async Task Transfers_to_several_followers_share_the_rate_in_the_order_they_asked()
    {
        var time = new FakeTimeProvider();
        var throttle = new SnapshotThrottle(1_000, time);
        var a1 = throttle.WaitAsync(500, CancellationToken.None).AsTask();
        var b1 = throttle.WaitAsync(500, CancellationToken.None).AsTask();
        var a2 = throttle.WaitAsync(250, CancellationToken.None).AsTask();
        var b2 = throttle.WaitAsync(100, CancellationToken.None).AsTask();

        Assert.True(a1.IsCompletedSuccessfully);
        time.Advance(TimeSpan.FromMilliseconds(500));
        await b1.WaitAsync(s_bound);
        Assert.False(a2.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(500));
        await a2.WaitAsync(s_bound);
        Assert.False(b2.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(250));
        await b2.WaitAsync(s_bound);
    }

    [Fact]
    public async Task Idle_time_is_not_saved_up_for_a_burst()
    {
        var time = new FakeTimeProvider();
        var throttle = new SnapshotThrottle(1_000, time);
        await throttle.WaitAsync(1_000, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(60));

        var first = throttle.WaitAsync(1_000, CancellationToken.None).AsTask();
        var second = throttle.WaitAsync(1_000, CancellationToken.None).AsTask();

        Assert.True(first.IsCompletedSuccessfully);
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        await second.WaitAsync(s_bound);
    }

    [Fact]
    public async Task A_cancelled_wait_gives_its_turn_back_unless_another_part_queued_behind_it()
    {
        var time = new FakeTimeProvider();
        var throttle = new SnapshotThrottle(1_000, time);
        await throttle.WaitAsync(500, CancellationToken.None);

        // Last in line: its turn goes back, the next part takes it.
        using (var cancel = new CancellationTokenSource())
        {
            var waiting = throttle.WaitAsync(500, cancel.Token).AsTask();
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(s_bound));
        }

        var next = throttle.WaitAsync(500, CancellationToken.None).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(500));
        await next.WaitAsync(s_bound); // at 0.5 s, where the cancelled part would have gone

        // Not last in line: its turn stays paid, so the parts behind it never go early.
        using (var cancel = new CancellationTokenSource())
        {
            var waiting = throttle.WaitAsync(500, cancel.Token).AsTask();
            var behind = throttle.WaitAsync(500, CancellationToken.None).AsTask();
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(s_bound));
            var after = throttle.WaitAsync(100, CancellationToken.None).AsTask();
            time.Advance(TimeSpan.FromMilliseconds(1_000));
            await behind.WaitAsync(s_bound);
            Assert.False(after.IsCompleted);
            time.Advance(TimeSpan.FromMilliseconds(500));
            await after.WaitAsync(s_bound);
        }
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    public void A_cap_that_is_not_positive_is_refused_naming_the_option(long bytesPerSecond)
    {
        var options = new RaftReplicaOptions
        {
            Node = new RaftNodeOptions { Id = 1, Group = 7, InitialConfiguration = ConfState.OfVoters(1) },
            SnapshotTransferBytesPerSecond = bytesPerSecond,
        };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("SnapshotTransferBytesPerSecond", error.Message, StringComparison.Ordinal);
    }
}
