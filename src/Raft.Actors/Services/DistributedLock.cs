namespace Raft.Actors.Services;

/// <summary><see cref="IDistributedLock"/> over <see cref="RaftServices"/>; every command carries the client's wall-clock time.</summary>
internal sealed class DistributedLock : IDistributedLock
{
    private readonly RaftServices _services;

    public DistributedLock(RaftServices services, string name, DistributedLockOptions options)
    {
        _services = services;
        Name = name;
        Options = options;
        Owner = options.Owner ?? Guid.NewGuid().ToString("N");
        LeaseMilliseconds = Math.Max(1, (long)options.Lease.TotalMilliseconds);
    }

    public string Name { get; }

    public string Owner { get; }

    public TimeSpan Lease => Options.Lease;

    internal DistributedLockOptions Options { get; }

    internal long LeaseMilliseconds { get; }

    internal TimeProvider Time => _services.TimeProvider;

    public async Task<LockHandle?> TryAcquireAsync(CancellationToken cancellationToken = default) =>
        (await TryAcquireOnceAsync(cancellationToken).ConfigureAwait(false)).Handle;

    public async Task<LockHandle> AcquireAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var started = Time.GetTimestamp();
        var retry = (long)Options.RetryInterval.TotalMilliseconds;
        while (true)
        {
            var triedAt = Now();
            var (handle, state) = await TryAcquireOnceAsync(cancellationToken).ConfigureAwait(false);
            if (handle is not null)
            {
                return handle;
            }

            var left = timeout - Time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Lock '{Name}' was still held by '{state.Owner}' (token {state.Token}, until {state.ExpiresAt:O}) after {timeout}.");
            }

            // Wait for the next try from when this one was stamped, so a clock that moved on
            // meanwhile shortens the wait; no longer than until the holder's lease ends.
            var untilExpiry = state.ExpiresAt.ToUnixTimeMilliseconds() - triedAt;
            var wait = Math.Min(untilExpiry > 0 ? Math.Min(retry, untilExpiry) : retry, Math.Max(1, (long)left.TotalMilliseconds));
            await WallClock.DelayUntilAsync(Time, triedAt + wait, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<LockState?> GetStateAsync(CancellationToken cancellationToken = default)
    {
        var result = await _services.ReadAsync(new CommandWriter(ServiceOp.LockState).WriteString(Name).ToArray(), cancellationToken).ConfigureAwait(false);
        return ReadState(result);
    }

    /// <summary>Renews the acquisition of <paramref name="token"/> from <paramref name="stamp"/>; false if it is no longer held.</summary>
    internal async Task<bool> RenewAsync(long token, long stamp, CancellationToken cancellationToken)
    {
        var result = await _services.ProposeAsync(RenewCommand(Name, Owner, token, LeaseMilliseconds, stamp), cancellationToken).ConfigureAwait(false);
        return ReadOutcome(Name, result).Outcome == LockOutcome.Done;
    }

    /// <summary>Releases one hold of <paramref name="token"/>; false if it was no longer held.</summary>
    internal async Task<bool> ReleaseAsync(long token, CancellationToken cancellationToken)
    {
        var result = await _services.ProposeAsync(ReleaseCommand(Name, Owner, token, Now()), cancellationToken).ConfigureAwait(false);
        return ReadOutcome(Name, result).Outcome == LockOutcome.Done;
    }

    internal long Now() => _services.NowMilliseconds();

    private async Task<(LockHandle? Handle, LockState State)> TryAcquireOnceAsync(CancellationToken cancellationToken)
    {
        var stamp = Now();
        var result = await _services.ProposeAsync(AcquireCommand(Name, Owner, LeaseMilliseconds, stamp), cancellationToken).ConfigureAwait(false);
        var (outcome, state) = ReadOutcome(Name, result);
        return (outcome == LockOutcome.Refused ? null : new LockHandle(this, state.Token, stamp), state);
    }

    // The commands and their result, shared with the simulator's clients (Raft.Actors.Testing),
    // so that what it checks is what this client sends and reads.
    internal static byte[] AcquireCommand(string name, string owner, long leaseMilliseconds, long stamp) =>
        new CommandWriter(ServiceOp.LockAcquire).WriteString(name).WriteString(owner).WriteInt64(leaseMilliseconds).WriteInt64(stamp).ToArray();

    internal static byte[] RenewCommand(string name, string owner, long token, long leaseMilliseconds, long stamp) =>
        new CommandWriter(ServiceOp.LockRenew).WriteString(name).WriteString(owner).WriteInt64(token).WriteInt64(leaseMilliseconds).WriteInt64(stamp).ToArray();

    internal static byte[] ReleaseCommand(string name, string owner, long token, long stamp) =>
        new CommandWriter(ServiceOp.LockRelease).WriteString(name).WriteString(owner).WriteInt64(token).WriteInt64(stamp).ToArray();

    internal static (LockOutcome Outcome, LockState State) ReadOutcome(string name, ReadOnlyMemory<byte> result)
    {
        var reader = ServiceResult.Open(result.Span);
        var outcome = (LockOutcome)reader.ReadByte();
        var state = LockState.Read(name, ref reader);
        reader.EnsureEnd();
        return (outcome, state);
    }

    private LockState? ReadState(ReadOnlyMemory<byte> result)
    {
        var reader = ServiceResult.Open(result.Span);
        var state = reader.ReadBool() ? LockState.Read(Name, ref reader) : null;
        reader.EnsureEnd();
        return state;
    }
}
