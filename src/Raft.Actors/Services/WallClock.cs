namespace Raft.Actors.Services;

/// <summary>
/// The wall clock of lock stamps (Unix milliseconds of a <see cref="TimeProvider"/>) and waits
/// until a time on it. Due times are absolute: a clock that moves while a timer is being set is
/// read again and the timer set again, so a wait never ends later than its due time by the jump.
/// </summary>
internal static class WallClock
{
    public static long Now(TimeProvider time) => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Completes once the clock reads <paramref name="due"/> or later.</summary>
    public static async Task DelayUntilAsync(TimeProvider time, long due, CancellationToken cancellationToken)
    {
        while (true)
        {
            var now = Now(time);
            if (due <= now)
            {
                return;
            }

            using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var delay = Task.Delay(TimeSpan.FromMilliseconds(due - now), time, abandon.Token);
            if (Now(time) == now)
            {
                await delay.ConfigureAwait(false);
                return;
            }

            await abandon.CancelAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Sets a one-shot timer to fire when the clock reads <paramref name="due"/>.</summary>
    public static void SetTimer(ITimer timer, TimeProvider time, long due)
    {
        long now;
        do
        {
            now = Now(time);
            timer.Change(TimeSpan.FromMilliseconds(Math.Max(0, due - now)), Timeout.InfiniteTimeSpan);
        }
        while (Now(time) != now);
    }
}
