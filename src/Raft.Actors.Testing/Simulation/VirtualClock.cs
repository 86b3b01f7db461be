namespace Raft.Actors.Testing.Simulation;

/// <summary>
/// A wall clock that reads the simulation's virtual time, shifted by a fixed skew: what a
/// simulated client stamps into lock commands, as a real client stamps its system clock. Only
/// <see cref="GetUtcNow"/> is virtual; nothing in the simulation waits on its timers.
/// </summary>
internal sealed class VirtualClock(Func<long> virtualMicroseconds, long skewMilliseconds) : TimeProvider
{
    // Virtual time 0 is this instant, so stamps look like the Unix milliseconds of a real clock.
    private static readonly DateTimeOffset s_epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() =>
        s_epoch.AddMilliseconds(skewMilliseconds + (virtualMicroseconds() / 1000));
}
