namespace Raft.Actors.Services;

/// <summary>Settings of one <see cref="IDistributedLock"/>.</summary>
public sealed class DistributedLockOptions
{
    /// <summary>Default <see cref="Lease"/>.</summary>
    public static readonly TimeSpan DefaultLease = TimeSpan.FromSeconds(30);

    /// <summary>Default <see cref="RetryInterval"/>.</summary>
    public static readonly TimeSpan DefaultRetryInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Who holds the lock; the same owner acquiring again re-enters it. Default: a random owner
    /// for each <see cref="IDistributedLock"/> object, so two objects exclude each other even in
    /// one process.
    /// </summary>
    public string? Owner { get; init; }

    /// <summary>
    /// How long an acquisition or renewal holds the lock, measured on the proposers' wall clocks.
    /// Keep it far longer than the clock skew between the machines that use the lock.
    /// </summary>
    public TimeSpan Lease { get; init; } = DefaultLease;

    /// <summary>Whether handles renew their lease in the background until released.</summary>
    public bool AutoRenew { get; init; } = true;

    /// <summary>How often an auto-renewing handle renews (default: a third of <see cref="Lease"/>).</summary>
    public TimeSpan? RenewInterval { get; init; }

    /// <summary>
    /// The pause between attempts of <see cref="IDistributedLock.AcquireAsync"/> (shorter when the
    /// holder's lease ends sooner), and before retrying a renewal that failed without an answer.
    /// </summary>
    public TimeSpan RetryInterval { get; init; } = DefaultRetryInterval;

    /// <summary>The renewal period in force.</summary>
    internal TimeSpan EffectiveRenewInterval => RenewInterval ?? Lease / 3;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (Owner is { Length: 0 })
        {
            throw new ArgumentException("DistributedLockOptions.Owner must not be empty.", nameof(Owner));
        }

        if (Lease < TimeSpan.FromMilliseconds(1))
        {
            throw new ArgumentException($"DistributedLockOptions.Lease must be at least 1 ms (was {Lease}).", nameof(Lease));
        }

        if (EffectiveRenewInterval <= TimeSpan.Zero || EffectiveRenewInterval >= Lease)
        {
            throw new ArgumentException($"DistributedLockOptions.RenewInterval must be positive and shorter than the lease {Lease} (was {EffectiveRenewInterval}).", nameof(RenewInterval));
        }

        if (RetryInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"DistributedLockOptions.RetryInterval must be positive (was {RetryInterval}).", nameof(RetryInterval));
        }
    }
}
