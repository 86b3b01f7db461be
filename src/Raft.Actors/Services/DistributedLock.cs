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
        var command = new CommandWriter(ServiceOp.LockRenew).WriteString(Name).WriteString(Owner).WriteInt64(token).WriteInt64(LeaseMilliseconds).WriteInt64(stamp).ToArray();
        var result = await _services.ProposeAsync(command, cancellationToken).ConfigureAwait(false);
        return ReadOutcome(result).Outcome == LockOutcome.Done;
    }

    /// <summary>Releases one hold of <paramref name="token"/>; false if it was no longer held.</summary>
    internal async Task<bool> ReleaseAsync(long token, CancellationToken cancellationToken)
    {
        var command = new CommandWriter(ServiceOp.LockRelease).WriteString(Name).WriteString(Owner).WriteInt64(token).WriteInt64(Now()).ToArray();
        var result = await _services.ProposeAsync(command, cancellationToken).ConfigureAwait(false);
        return ReadOutcome(result).Outcome == LockOutcome.Done;
    }

    internal long Now() => _services.NowMilliseconds();

    private async Task<(LockHandle? Handle, LockState State)> TryAcquireOnceAsync(CancellationToken cancellationToken)
    {
        var stamp = Now();
        var command = new CommandWriter(ServiceOp.LockAcquire).WriteString(Name).WriteString(Owner).WriteInt64(LeaseMilliseconds).WriteInt64(stamp).ToArray();
        var result = await _services.ProposeAsync(command, cancellationToken).ConfigureAwait(false);
        var (outcome, state) = ReadOutcome(result);
        return (outcome == LockOutcome.Refused ? null : new LockHandle(this, state.Token, stamp), state);
    }

    private (LockOutcome Outcome, LockState State) ReadOutcome(ReadOnlyMemory<byte> result)
    {
        var reader = ServiceResult.Open(result.Span);
        var outcome = (LockOutcome)reader.ReadByte();
        var state = LockState.Read(Name, ref reader);
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
