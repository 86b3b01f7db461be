using System.Diagnostics;
using Raft.Actors.Protocol;
using Raft.Actors.Storage;

namespace Raft.Benchmarks;

/// <summary>
/// SharedLog group commit: N groups of one log append concurrently, each one entry per call
/// and the next call only after the previous one is durable (as a replica does); prints
/// entries/s, fdatasyncs/s and how many appends one sync carried.
/// </summary>
internal static class SharedWalBenchmark
{
    public static async Task RunAsync(BenchmarkOptions options, int payload)
    {
        foreach (var groups in new[] { 1, 16, 256, 1000 })
        {
            var directory = Path.Combine(options.Directory, $"shared-{groups}");
            var data = new byte[payload];
            Random.Shared.NextBytes(data);
            await using (var log = await SharedLog.OpenAsync(directory))
            {
                var stores = Enumerable.Range(1, groups).Select(g => log.OpenGroup((ulong)g)).ToArray();
                var indexes = new ulong[groups];
                await RunForAsync(stores, indexes, data, options.WarmupSeconds, null);
                var syncs = log.SyncCount;
                var latencies = Enumerable.Range(0, groups).Select(_ => new List<double>()).ToArray();
                var started = Stopwatch.GetTimestamp();
                var entries = await RunForAsync(stores, indexes, data, options.Seconds, latencies);
                var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                syncs = log.SyncCount - syncs;
                var all = latencies.SelectMany(l => l).ToList();
                new Json().Add("scenario", "shared_wal_append").Add("durability", "one write + one fdatasync per coalesced write, before any append in it returns")
                    .Add("groups", groups).Add("payload", payload).Add("entries_per_s", entries / seconds, 0)
                    .Add("fsyncs_per_s", syncs / seconds, 0).Add("appends_per_fsync", entries / (double)Math.Max(1, syncs), 1)
                    .Add("p50_us", Percentile(all, 0.50)).Add("p99_us", Percentile(all, 0.99)).Print();
            }

            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Each group appends one entry at a time for <paramref name="seconds"/>; returns the appends made.</summary>
    private static async Task<long> RunForAsync(ILogStore[] stores, ulong[] indexes, byte[] data, double seconds, List<double>[]? latencies)
    {
        var end = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        long total = 0;
        await Task.WhenAll(stores.Select((store, g) => Task.Run(async () =>
        {
            long appended = 0;
            while (Stopwatch.GetTimestamp() < end)
            {
                var entry = new Entry { Index = ++indexes[g], Term = 1, Data = data };
                var start = Stopwatch.GetTimestamp();
                await store.AppendAsync(new LogBatch([entry], null));
                latencies?[g].Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                appended++;
            }

            Interlocked.Add(ref total, appended);
        })));
        return total;
    }

    private static double Percentile(List<double> samples, double p)
    {
        var sorted = samples.ToArray();
        Array.Sort(sorted);
        return sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
    }
}
