namespace Raft.Actors.Services;

/// <summary>
/// The client side of one group's replicated services (a <see cref="ServiceStateMachine"/>):
/// the key-value store, locks and sequences, all over one <see cref="IRaftGroupClient"/>.
/// Writes apply at most once (each command keeps its proposal id across retries); reads are
/// linearizable.
/// </summary>
/// <remarks>Thread-safe; share one instance per group in a process.</remarks>
public sealed class RaftServices
{
    /// <summary>Creates the services of a group.</summary>
    /// <param name="group">Where commands and reads go.</param>
    /// <param name="timeProvider">The wall clock lock commands are stamped with, and the clock of
    /// lease renewals and lock waits (default: system).</param>
    /// <param name="sessions">Proposal ids (default: a new pool with random session ids).</param>
    public RaftServices(IRaftGroupClient group, TimeProvider? timeProvider = null, ProposalSessions? sessions = null)
    {
        ArgumentNullException.ThrowIfNull(group);
        Group = group;
        TimeProvider = timeProvider ?? TimeProvider.System;
        Sessions = sessions ?? new ProposalSessions();
        Kv = new ReplicatedKv(this);
    }

    /// <summary>The group.</summary>
    public IRaftGroupClient Group { get; }

    /// <summary>The clock of lock stamps, renewals and waits.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>Where command ids come from.</summary>
    public ProposalSessions Sessions { get; }

    /// <summary>The key-value store.</summary>
    public IReplicatedKv Kv { get; }

    /// <summary>A lock by name. Locks with the same name and owner are the same lock held re-entrantly.</summary>
    /// <param name="name">The lock's name.</param>
    /// <param name="options">Owner, lease and renewal (default: a new random owner, 30 s lease, auto-renew).</param>
    public IDistributedLock GetLock(string name, DistributedLockOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        options ??= new DistributedLockOptions();
        options.Validate();
        return new DistributedLock(this, name, options);
    }

    /// <summary>A sequence by name; it starts at 0.</summary>
    public ISequence GetSequence(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return new ReplicatedSequence(this, name);
    }

    /// <summary>Proposes a command under a session of its own, held until the outcome is known.</summary>
    internal async Task<ReadOnlyMemory<byte>> ProposeAsync(byte[] command, CancellationToken cancellationToken)
    {
        using var lease = Sessions.Rent();
        return await Group.ProposeAsync(command, lease.Id, cancellationToken).ConfigureAwait(false);
    }

    internal Task<ReadOnlyMemory<byte>> ReadAsync(byte[] query, CancellationToken cancellationToken) => Group.ReadAsync(query, cancellationToken);

    /// <summary>The wall clock as stamped into commands: Unix milliseconds.</summary>
    internal long NowMilliseconds() => WallClock.Now(TimeProvider);
}
