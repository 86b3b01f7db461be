namespace Raft.Actors.Services;

/// <summary>
/// A named lock held under a lease, for one owner (<see cref="RaftServices.GetLock"/>). The
/// owner may acquire it again while holding it (re-entrant: same token, one more hold). A lease
/// that ran out lets another owner take the lock over, with a new, higher fencing token, and the
/// old holder's fenced writes are refused from then on.
/// </summary>
/// <remarks>
/// Leases are measured on the wall clocks of the machines that propose lock commands (see
/// docs/services.md): correct while leases are far longer than the skew between those clocks.
/// Fencing keeps the store safe even when they are not. Thread-safe.
/// </remarks>
public interface IDistributedLock
{
    /// <summary>The lock's name.</summary>
    string Name { get; }

    /// <summary>The owner this object acquires for.</summary>
    string Owner { get; }

    /// <summary>The lease of each acquisition and renewal.</summary>
    TimeSpan Lease { get; }

    /// <summary>Acquires the lock if it is free, expired, or already this owner's; null if another owner holds it.</summary>
    Task<LockHandle?> TryAcquireAsync(CancellationToken cancellationToken = default);

    /// <summary>Acquires the lock, waiting for its holder to release it or for its lease to run out.</summary>
    /// <exception cref="TimeoutException">Still held by another owner after <paramref name="timeout"/>.</exception>
    Task<LockHandle> AcquireAsync(TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>The lock's state (linearizable read), or null if it was never acquired.</summary>
    Task<LockState?> GetStateAsync(CancellationToken cancellationToken = default);
}
