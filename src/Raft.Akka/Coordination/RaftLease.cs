using Akka.Actor;
using Akka.Coordination;
using Raft.Actors.Protocol;
using Raft.Actors.Services;

namespace Raft.Akka.Coordination;

/// <summary>
/// An <see cref="Lease"/> backed by the Raft lock (<see cref="IDistributedLock"/>) named
/// <c>akka-lease/{lease name}</c> in the group the name hashes to: configured as
/// <c>akka.coordination.lease.raft</c>, usable by the split-brain resolver's
/// <c>lease-majority</c> and by singleton and sharding <c>use-lease</c>. The lock's lease is
/// <c>heartbeat-timeout</c>, renewed every <c>heartbeat-interval</c> while held; each acquisition
/// carries a fencing token (<see cref="FencingToken"/>) that later acquisitions by other owners
/// exceed.
/// </summary>
/// <remarks>
/// <para>The lease-lost callback runs when the holder stops holding the lock without releasing
/// it: a renewal was refused (another owner took it over after the lease ran out on the group's
/// clock) or no renewal was confirmed before the lease ran out on this node's clock (no quorum
/// reachable). Leases are measured on wall clocks: keep <c>heartbeat-timeout</c> far above the
/// clock skew between nodes (see docs/services.md).</para>
/// <para>An operation with no answer within <c>lease-operation-timeout</c> fails with
/// <see cref="LeaseTimeoutException"/>; an acquisition whose outcome is unknown may hold the lock
/// until its lease runs out. Thread-safe.</para>
/// </remarks>
public sealed class RaftLease : Lease
{
    /// <summary>The prefix of the lock names leases use.</summary>
    public const string LockPrefix = "akka-lease/";

    private readonly IDistributedLock _lock;
    private readonly TimeSpan _operationTimeout;
    private Acquisition? _current;

    /// <summary>Created by <see cref="LeaseProvider"/> from the <c>akka.coordination.lease.raft</c> section.</summary>
    public RaftLease(LeaseSettings settings, ActorSystem system)
        : base(settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(system);
        var timeouts = settings.TimeoutSettings;
        _operationTimeout = timeouts.OperationTimeout;
        var name = LockPrefix + settings.LeaseName;
        var options = new DistributedLockOptions
        {
            Owner = settings.OwnerName,
            Lease = timeouts.HeartbeatTimeout,
            RenewInterval = timeouts.HeartbeatInterval,
            AutoRenew = true,
        };
        try
        {
            _lock = RaftExtension.Get(system).ServicesFor(name).GetLock(name, options);
        }
        catch (ArgumentException ex)
        {
            throw new LeaseException($"Lease {settings.LeaseName}: heartbeat-interval must be shorter than heartbeat-timeout and both positive ({ex.Message}).");
        }
    }

    /// <summary>The fencing token of the current acquisition, or null when not held.</summary>
    public long? FencingToken => Volatile.Read(ref _current)?.Handle is { IsHeld: true } handle ? handle.Token : null;

    /// <inheritdoc />
    public override Task<bool> Acquire() => Acquire(null!);

    /// <inheritdoc />
    public override async Task<bool> Acquire(Action<Exception> leaseLostCallback)
    {
        if (Volatile.Read(ref _current) is { Handle.IsHeld: true })
        {
            return true;
        }

        var handle = await RunAsync("acquire", ct => _lock.TryAcquireAsync(ct)).ConfigureAwait(false);
        if (handle is null)
        {
            return false;
        }

        var acquisition = new Acquisition(handle);
        Interlocked.Exchange(ref _current, acquisition);
        if (leaseLostCallback is not null)
        {
            // Registered after the acquisition completed, so the callback never runs before Acquire returns
            // (a lease already lost by now is reported at once, on this thread).
            handle.LostToken.Register(() =>
            {
                if (!acquisition.Released)
                {
                    leaseLostCallback(new LeaseException($"Lease {Settings.LeaseName} held by {Settings.OwnerName} (fencing token {handle.Token}) was lost: a renewal was refused or its lease ran out."));
                }
            });
        }

        return true;
    }

    /// <inheritdoc />
    public override async Task<bool> Release()
    {
        var acquisition = Interlocked.Exchange(ref _current, null);
        if (acquisition is null)
        {
            return false;
        }

        acquisition.Released = true;
        return await RunAsync("release", ct => acquisition.Handle.ReleaseAsync(ct)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override bool CheckLease() => Volatile.Read(ref _current) is { Handle.IsHeld: true };

    private async Task<T> RunAsync<T>(string operation, Func<CancellationToken, Task<T>> run)
    {
        using var timeout = new CancellationTokenSource(_operationTimeout);
        try
        {
            return await run(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or UnknownOutcomeException or OperationCanceledException)
        {
            throw new LeaseTimeoutException($"Lease {Settings.LeaseName}: {operation} by {Settings.OwnerName} got no answer within {_operationTimeout} ({ex.Message}).", ex);
        }
    }

    private sealed class Acquisition(LockHandle handle)
    {
        public LockHandle Handle { get; } = handle;

        public volatile bool Released;
    }
}
