namespace Raft.Actors.Runtime;

/// <summary>
/// Spaces the snapshot parts a leader sends so that together they average at most
/// <see cref="RaftReplicaOptions.SnapshotTransferBytesPerSecond"/>: a token bucket with no room
/// for a burst. Each part reserves its bytes in call order and goes out once the parts reserved
/// before it are paid for at the rate, so the first part goes at once and the last one of a
/// transfer of <c>B</c> bytes no sooner than <c>(B - last part) / rate</c> after the first.
/// Time spent waiting for a follower's answers is not saved up.
/// </summary>
/// <remarks>
/// Only the transfer tasks wait here, never the replica's loop: a throttled leader goes on
/// replicating, committing and answering clients. Thread-safe; the transfers to several
/// followers share one throttle. Time comes from the replica's <see cref="TimeProvider"/>.
/// </remarks>
internal sealed class SnapshotThrottle
{
    private readonly long _bytesPerSecond;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();

    // The timestamp from which the bytes reserved so far are paid for.
    private long _paidAt;

    public SnapshotThrottle(long bytesPerSecond, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytesPerSecond);
        ArgumentNullException.ThrowIfNull(time);
        _bytesPerSecond = bytesPerSecond;
        _time = time;
        _paidAt = time.GetTimestamp();
    }

    /// <summary>
    /// Completes when <paramref name="bytes"/> may be sent, and reserves them. A cancelled wait
    /// gives its reservation back when no later one was made meanwhile (otherwise it stays paid).
    /// </summary>
    public ValueTask WaitAsync(int bytes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        cancellationToken.ThrowIfCancellationRequested();
        var now = _time.GetTimestamp();
        long start, end;
        lock (_gate)
        {
            start = Math.Max(_paidAt, now);
            end = start + Cost(bytes);
            _paidAt = end;
        }

        return start <= now ? ValueTask.CompletedTask : DelayAsync(now, start, end, cancellationToken);
    }

    private async ValueTask DelayAsync(long now, long start, long end, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(_time.GetElapsedTime(now, start), _time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (_gate)
            {
                if (_paidAt == end)
                {
                    _paidAt = start;
                }
            }

            throw;
        }
    }

    /// <summary>How long, in timestamp units, <paramref name="bytes"/> take at the rate (rounded up).</summary>
    private long Cost(int bytes)
    {
        var frequency = (Int128)_time.TimestampFrequency;
        return (long)(((bytes * frequency) + _bytesPerSecond - 1) / _bytesPerSecond);
    }
}
