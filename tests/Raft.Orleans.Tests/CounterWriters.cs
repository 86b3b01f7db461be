namespace Raft.Orleans.Tests;

/// <summary>
/// One writer per counter grain, adding 1 again and again until stopped, counting the adds that
/// were acknowledged and those attempted: a failed add (the silo died under it, the grain is
/// moving) may or may not have applied, so a grain's value must end between the two.
/// </summary>
internal sealed class CounterWriters : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly int[] _acknowledged;
    private readonly int[] _attempts;
    private readonly Task[] _loops;

    public CounterWriters(IReadOnlyList<ICounterGrain> grains, TimeSpan callTimeout)
    {
        _acknowledged = new int[grains.Count];
        _attempts = new int[grains.Count];
        _loops = [.. grains.Select((grain, i) => Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref _attempts[i]);
                try
                {
                    await grain.Add(1).WaitAsync(callTimeout);
                    Interlocked.Increment(ref _acknowledged[i]);
                }
                catch (Exception)
                {
                    await Task.Delay(20);
                }
            }
        }))];
    }

    /// <summary>Adds acknowledged so far, per grain.</summary>
    public int[] Acknowledged => [.. _acknowledged.Select((_, i) => Volatile.Read(ref _acknowledged[i]))];

    /// <summary>Adds attempted so far, per grain (each acknowledged one included).</summary>
    public int[] Attempts => [.. _attempts.Select((_, i) => Volatile.Read(ref _attempts[i]))];

    /// <summary>Waits until every grain had <paramref name="count"/> more adds acknowledged than <paramref name="since"/> (default: none).</summary>
    public Task AcknowledgedAsync(int count, TimeSpan timeout, string what, int[]? since = null) =>
        Poll.UntilAsync(() => Acknowledged.Select((a, i) => a - (since?[i] ?? 0)).All(more => more >= count), timeout, what);

    /// <summary>Stops the writers and waits for their last adds to end (a second call does nothing).</summary>
    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>Stops the writers, also when a test failed before it did.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }
}
