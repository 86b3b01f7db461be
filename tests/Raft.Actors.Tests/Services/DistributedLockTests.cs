using Microsoft.Extensions.Time.Testing;
using Raft.Actors.Services;
using Xunit;

namespace Raft.Actors.Tests.Services;

/// <summary>Lock semantics on one state machine, with clocks the tests move.</summary>
public sealed class DistributedLockTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);
    private static readonly DistributedLockOptions s_manual = new() { Lease = TimeSpan.FromSeconds(10), AutoRenew = false };

    private readonly DirectGroupClient _group = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Acquire_and_release_free_the_lock_for_the_next_owner_with_a_higher_token()
    {
        var services = new RaftServices(_group, _time);
        var a = services.GetLock("job", s_manual);
        var b = services.GetLock("job", s_manual);

        var first = await a.TryAcquireAsync();
        Assert.NotNull(first);
        Assert.Null(await b.TryAcquireAsync());
        Assert.True(await first.ReleaseAsync());
        var second = await b.TryAcquireAsync();

        Assert.NotNull(second);
        Assert.True(second.Token > first.Token);
        Assert.False(first.IsHeld);
        Assert.True(first.LostToken.IsCancellationRequested);
        Assert.Equal(new LockState("job", b.Owner, second.Token, 1, _time.GetUtcNow() + s_manual.Lease), await a.GetStateAsync());
    }

    [Fact]
    public async Task The_same_owner_re_enters_with_the_same_token_and_holds_until_every_hold_is_released()
    {
        var services = new RaftServices(_group, _time);
        var options = new DistributedLockOptions { Owner = "me", Lease = TimeSpan.FromSeconds(10), AutoRenew = false };
        var mine = services.GetLock("job", options);
        var alsoMine = services.GetLock("job", options);
        var other = services.GetLock("job", s_manual);

        var outer = await mine.TryAcquireAsync();
        var inner = await alsoMine.TryAcquireAsync();
        Assert.NotNull(outer);
        Assert.NotNull(inner);
        Assert.Equal(outer.Token, inner.Token);
        Assert.Equal(2, (await mine.GetStateAsync())!.Holds);

        Assert.True(await inner.ReleaseAsync());
        Assert.Null(await other.TryAcquireAsync());
        Assert.True(await outer.ReleaseAsync());
        Assert.NotNull(await other.TryAcquireAsync());
    }

    [Fact]
    public async Task Acquire_waits_for_the_holder_to_release_and_times_out_while_it_holds()
    {
        var services = new RaftServices(_group, _time);
        var options = new DistributedLockOptions { Lease = TimeSpan.FromSeconds(10), AutoRenew = false, RetryInterval = TimeSpan.FromSeconds(1) };
        var holder = await services.GetLock("job", options).TryAcquireAsync();
        Assert.NotNull(holder);
        var waiter = services.GetLock("job", options);

        var timingOut = waiter.AcquireAsync(TimeSpan.FromSeconds(3));
        await AdvanceUntilAsync(timingOut, TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<TimeoutException>(() => timingOut);

        var waiting = waiter.AcquireAsync(TimeSpan.FromMinutes(1));
        Assert.False(waiting.IsCompleted);
        Assert.True(await holder.ReleaseAsync());
        await AdvanceUntilAsync(waiting, TimeSpan.FromSeconds(1));
        Assert.Equal(holder.Token + 1, (await waiting).Token);
    }

    [Fact]
    public async Task An_expired_lock_is_taken_over_and_the_old_holders_fenced_writes_are_refused()
    {
        var services = new RaftServices(_group, _time);
        var kv = services.Kv;
        var old = await services.GetLock("job", s_manual).TryAcquireAsync();
        Assert.NotNull(old);
        await kv.PutStringAsync("data", "old", old.Fence);
        var contender = services.GetLock("job", s_manual);
        Assert.Null(await contender.TryAcquireAsync());

        _time.Advance(s_manual.Lease);
        var current = await contender.TryAcquireAsync();

        Assert.NotNull(current);
        Assert.Equal(old.Token + 1, current.Token);
        Assert.True(old.LostToken.IsCancellationRequested);
        var refused = await Assert.ThrowsAsync<FencingTokenRejectedException>(() => kv.PutStringAsync("data", "stale", old.Fence));
        Assert.Equal(current.Token, refused.LatestToken);
        await Assert.ThrowsAsync<FencingTokenRejectedException>(() => kv.BatchAsync([KvOperation.Put("data", ReplicatedKvTests.Bytes("stale"))], old.Fence));
        await kv.PutStringAsync("data", "new", current.Fence);
        Assert.Equal("new", await kv.GetStringAsync("data"));
        await Assert.ThrowsAsync<LockLostException>(() => old.RenewAsync());
        Assert.False(await old.ReleaseAsync());
        Assert.True(current.IsHeld);
    }

    [Fact]
    public async Task A_renewal_keeps_the_lock_past_its_first_lease()
    {
        var services = new RaftServices(_group, _time);
        var held = await services.GetLock("job", s_manual).TryAcquireAsync();
        Assert.NotNull(held);
        var contender = services.GetLock("job", s_manual);

        for (var i = 0; i < 5; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(6));
            await held.RenewAsync();
            Assert.Null(await contender.TryAcquireAsync());
        }

        Assert.True(held.IsHeld);
        Assert.Equal(_time.GetUtcNow() + s_manual.Lease, held.ExpiresAt);
    }

    [Fact]
    public async Task A_handle_past_its_lease_is_lost_even_before_anyone_takes_over()
    {
        var services = new RaftServices(_group, _time);
        var held = await services.GetLock("job", s_manual).TryAcquireAsync();
        Assert.NotNull(held);

        _time.Advance(s_manual.Lease - TimeSpan.FromMilliseconds(1));
        Assert.False(held.LostToken.IsCancellationRequested);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.True(held.LostToken.IsCancellationRequested);
        Assert.False(held.IsHeld);
    }

    [Fact]
    public async Task Auto_renewal_keeps_the_lock_past_many_leases_until_the_handle_is_disposed()
    {
        var services = new RaftServices(_group, _time);
        var options = new DistributedLockOptions { Lease = TimeSpan.FromSeconds(9), RenewInterval = TimeSpan.FromSeconds(3) };
        var held = await services.GetLock("job", options).TryAcquireAsync();
        Assert.NotNull(held);
        var contender = services.GetLock("job", s_manual);

        for (var i = 0; i < 10; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(3));
            await WaitUntilAsync(() => held.ExpiresAt == _time.GetUtcNow() + options.Lease);
        }

        Assert.Null(await contender.TryAcquireAsync());
        Assert.False(held.LostToken.IsCancellationRequested);
        await held.DisposeAsync();
        Assert.NotNull(await contender.TryAcquireAsync());
    }

    [Fact]
    public async Task A_stamp_older_than_the_lock_time_is_judged_at_the_lock_time()
    {
        var holderClock = new FakeTimeProvider(_time.GetUtcNow());
        var holder = new RaftServices(_group, holderClock).GetLock("job", new DistributedLockOptions { Owner = "h", Lease = TimeSpan.FromSeconds(10), AutoRenew = false });
        var outer = await holder.TryAcquireAsync();
        var inner = await holder.TryAcquireAsync();
        Assert.NotNull(outer);
        Assert.NotNull(inner);

        // Released 11 s later by the holder's clock: the lock's time is now past the lease (one hold remains).
        holderClock.Advance(TimeSpan.FromSeconds(11));
        Assert.True(await inner.ReleaseAsync());

        // A client whose clock still reads the start stamps an older time; the lock's time does not
        // go back to it, so the lease is over for this client too, and it takes the lock over.
        var taken = await new RaftServices(_group, _time).GetLock("job", s_manual).TryAcquireAsync();
        Assert.NotNull(taken);
        Assert.Equal(outer.Token + 1, taken.Token);
        Assert.Equal(holderClock.GetUtcNow() + s_manual.Lease, (await holder.GetStateAsync())!.ExpiresAt);
    }

    /// <summary>Advances the clock a step at a time until <paramref name="task"/> completes (bounded).</summary>
    private async Task AdvanceUntilAsync(Task task, TimeSpan step)
    {
        for (var i = 0; i < 1000 && !task.IsCompleted; i++)
        {
            _time.Advance(step);
            await Task.WhenAny(task, Task.Delay(5));
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(s_wait);
        while (!condition())
        {
            await Task.Delay(1, timeout.Token);
        }
    }
}
