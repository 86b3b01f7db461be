using System.Diagnostics;

namespace Raft.Actors.Tests;

/// <summary>Waits, bounded in time, for a condition that a running cluster reaches by itself.</summary>
internal static class Eventually
{
    public static Task Until(Func<bool> condition, string what, int seconds = 15) =>
        Until(() => Task.FromResult(condition()), what, seconds);

    /// <exception cref="TimeoutException">The condition did not hold within <paramref name="seconds"/>; the message names <paramref name="what"/>.</exception>
    public static async Task Until(Func<Task<bool>> condition, string what, int seconds = 15)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(seconds))
            {
                throw new TimeoutException($"timed out after {seconds} s waiting for {what}");
            }

            await Task.Delay(10);
        }
    }
}
