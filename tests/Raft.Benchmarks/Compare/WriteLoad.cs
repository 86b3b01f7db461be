using System.Diagnostics;

namespace Raft.Benchmarks.Compare;

/// <summary>What one system did in one scenario of one round.</summary>
internal sealed record LoadResult(double CommitsPerSecond, double P50Ms, double P99Ms, double AllocBytesPerCommit, double CpuMsPerCommit, long Commits);

/// <summary>
/// Closed-loop writers: each proposes, waits for the commit, proposes again. Only proposals that
/// start after the warm-up and complete inside the measured window count; allocation and CPU are
/// the whole process's over that window (harness and all three nodes included).
/// </summary>
internal static class WriteLoad
{
    public static async Task<LoadResult> RunAsync(IComparedCluster cluster, CompareScenario scenario, TimeSpan warmup, TimeSpan window, CancellationToken cancellationToken)
    {
        var latencies = new List<long>[scenario.Writers];
        var capacity = (int)Math.Min(4_000_000, (window.TotalSeconds * 100_000 / scenario.Writers) + 1024);
        for (var w = 0; w < latencies.Length; w++)
        {
            latencies[w] = new List<long>(capacity);
        }

        var clock = Stopwatch.StartNew();
        var windowStart = (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var windowEnd = windowStart + (long)(window.TotalSeconds * Stopwatch.Frequency);
        var writers = new Task[scenario.Writers];
        for (var w = 0; w < writers.Length; w++)
        {
            var command = cluster.MakeCommand(w, scenario.EntryBytes);
            var mine = latencies[w];
            writers[w] = Task.Run(
                async () =>
                {
                    long started;
                    while ((started = clock.ElapsedTicks) < windowEnd)
                    {
                        if (!await cluster.ProposeAsync(command, cancellationToken))
                        {
                            await Task.Delay(1, cancellationToken);
                            continue;
                        }

                        var finished = clock.ElapsedTicks;
                        if (started >= windowStart && finished <= windowEnd)
                        {
                            mine.Add(finished - started);
                        }
                    }
                },
                cancellationToken);
        }

        using var process = Process.GetCurrentProcess();
        await Task.Delay(warmup, cancellationToken);
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        await Task.Delay(TimeSpan.FromTicks(Math.Max(0, (windowEnd - clock.ElapsedTicks) * TimeSpan.TicksPerSecond / Stopwatch.Frequency)), cancellationToken);
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        var allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;
        await Task.WhenAll(writers).WaitAsync(cancellationToken);

        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        var commits = Math.Max(1, all.Length);
        return new LoadResult(
            all.Length / window.TotalSeconds,
            Percentile(all, 0.50),
            Percentile(all, 0.99),
            allocated / (double)commits,
            cpu.TotalMilliseconds / commits,
            all.Length);
    }

    private static double Percentile(long[] sorted, double q) => sorted.Length == 0
        ? double.NaN
        : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))] * 1000.0 / Stopwatch.Frequency;
}
