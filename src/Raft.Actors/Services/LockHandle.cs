using Raft.Actors.Protocol;

namespace Raft.Actors.Services;

/// <summary>
/// One acquisition of an <see cref="IDistributedLock"/>: its fencing token, its lease, and (with
/// <see cref="DistributedLockOptions.AutoRenew"/>) a background renewal. <see cref="LostToken"/>
/// fires once the handle stops holding the lock, whatever the reason, so work under the lock can
/// stop. Dispose it to release the lock.
/// </summary>
/// <remarks>
/// <para>The handle counts its lease from the time it stamped on the acquisition or the last
/// renewal the group confirmed, on its own clock: the group's lease for it never ends sooner
/// than that (a lock's time never moves backwards), so the handle gives up no later than other
/// owners can take over, as long as the clocks agree to well within the lease.</para>
/// <para>A renewal that fails without an answer (no leader, a timeout) is retried every
/// <see cref="DistributedLockOptions.RetryInterval"/> until the lease runs out. Thread-safe.</para>
/// </remarks>
public sealed class LockHandle : IAsyncDisposable
{
    private readonly DistributedLock _lock;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly ITimer _expiry;
    private readonly Task _renewals;
    private long _confirmedAt;
    private long _expiresAt;
    private int _gone;
    private int _released;

    internal LockHandle(DistributedLock owner, long token, long stamp)
    {
        _lock = owner;
        Token = token;
        _confirmedAt = stamp;
        _expiresAt = stamp + owner.LeaseMilliseconds;
        _expiry = owner.Time.CreateTimer(static state => ((LockHandle)state!).Lose(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        WallClock.SetTimer(_expiry, owner.Time, _expiresAt);
        _renewals = owner.Options.AutoRenew ? Task.Run(RenewInBackgroundAsync) : Task.CompletedTask;
    }

    /// <summary>The lock's name.</summary>
    public string Name => _lock.Name;

    /// <summary>The owner holding it.</summary>
    public string Owner => _lock.Owner;

    /// <summary>The fencing token of this acquisition: higher than every earlier acquisition's by another owner.</summary>
    public long Token { get; }

    /// <summary>What a fenced write carries to apply only while this acquisition is the lock's latest.</summary>
    public FencingToken Fence => new(Name, Token);

    /// <summary>When the lease runs out unless renewed, on this client's clock.</summary>
    public DateTimeOffset ExpiresAt => LockState.ToTime(Interlocked.Read(ref _expiresAt));

    /// <summary>False once released, refused a renewal, or past its lease.</summary>
    public bool IsHeld => Volatile.Read(ref _gone) == 0;

    /// <summary>Cancelled when the handle stops holding the lock: released, refused a renewal, or past its lease.</summary>
    public CancellationToken LostToken => _lost.Token;

    /// <summary>Extends the lease by <see cref="IDistributedLock.Lease"/> from now.</summary>
    /// <exception cref="LockLostException">The handle no longer holds the lock.</exception>
    public async Task RenewAsync(CancellationToken cancellationToken = default)
    {
        if (!IsHeld)
        {
            throw Lost();
        }

        var stamp = _lock.Now();
        if (!await _lock.RenewAsync(Token, stamp, cancellationToken).ConfigureAwait(false))
        {
            Lose();
            throw Lost();
        }

        Confirm(stamp);
    }

    /// <summary>
    /// Stops renewing and releases this hold (the lock is free once every re-entrant hold is
    /// released). True if the group released it; false if this acquisition no longer held it or
    /// was released before. The handle stops holding either way.
    /// </summary>
    public async Task<bool> ReleaseAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return false;
        }

        try
        {
            // Stop the renewals first, so that none is sent after the release.
            _stop.Cancel();
            await _renewals.ConfigureAwait(false);
            return await _lock.ReleaseAsync(Token, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Lose();
        }
    }

    /// <summary>Releases the lock; a release that fails without an answer is given up (the lease runs out instead).</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await ReleaseAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is UnknownOutcomeException or TimeoutException or RaftReplicaFaultedException or NotLeaderException)
        {
        }
    }

    private async Task RenewInBackgroundAsync()
    {
        var interval = (long)_lock.Options.EffectiveRenewInterval.TotalMilliseconds;
        var retry = (long)_lock.Options.RetryInterval.TotalMilliseconds;
        var stop = _stop.Token;
        var next = Interlocked.Read(ref _confirmedAt) + interval;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                // Due times are absolute: a clock that jumped past one renews at once.
                await WallClock.DelayUntilAsync(_lock.Time, next, stop).ConfigureAwait(false);

                await RenewAsync(stop).ConfigureAwait(false);
                next = Interlocked.Read(ref _confirmedAt) + interval;
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (LockLostException)
            {
                return;
            }
            catch (Exception)
            {
                // No answer (no leader, a timeout, an unknown outcome): try again soon. If the lease
                // runs out first, the expiry timer ends the handle and stops this loop.
                next = _lock.Now() + retry;
            }
        }
    }

    private void Confirm(long stamp)
    {
        lock (_gate)
        {
            if (!IsHeld || stamp <= _confirmedAt)
            {
                return;
            }

            Interlocked.Exchange(ref _confirmedAt, stamp);
            Interlocked.Exchange(ref _expiresAt, stamp + _lock.LeaseMilliseconds);
            WallClock.SetTimer(_expiry, _lock.Time, stamp + _lock.LeaseMilliseconds);
        }
    }

    private void Lose()
    {
        lock (_gate)
        {
            if (Interlocked.Exchange(ref _gone, 1) != 0)
            {
                return;
            }

            _expiry.Dispose();
        }

        _stop.Cancel();
        try
        {
            _lost.Cancel();
        }
        catch (AggregateException)
        {
            // A callback registered on LostToken threw; the handle is lost all the same.
        }
    }

    private LockLostException Lost() => new(Name, Owner, Token);
}
