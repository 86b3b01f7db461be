namespace Raft.Actors.Transport.Tcp;

/// <summary>
/// How long a peer link waits before dialing again after a failed attempt: from the minimum,
/// doubling per consecutive failure up to the maximum, with jitter. Not thread-safe; each link's
/// writer loop owns one.
/// </summary>
/// <param name="min">The step after the first failure.</param>
/// <param name="max">The largest step.</param>
/// <param name="jitter">A value in [0, 1] per call.</param>
internal sealed class ReconnectBackoff(TimeSpan min, TimeSpan max, Func<double> jitter)
{
    private int _failures;

    /// <summary>Consecutive failures since the last success.</summary>
    public int Failures => _failures;

    /// <summary>After a connection was established: the next failure waits the minimum again.</summary>
    public void Reset() => _failures = 0;

    /// <summary>Counts a failure and returns the wait before the next attempt.</summary>
    public TimeSpan NextDelay()
    {
        var step = Math.Min(max.Ticks, min.Ticks * Math.Pow(2, Math.Min(_failures, 32)));
        _failures++;

        // "Equal jitter": half of the step is fixed and half random. Every node that lost the
        // same peer at the same moment would otherwise redial it in lockstep; the fixed half
        // keeps a failing peer from being hammered when the random half comes out small.
        var half = step / 2;
        return TimeSpan.FromTicks((long)(half + half * Math.Clamp(jitter(), 0, 1)));
    }
}
