using System.Diagnostics;
using Raft.Actors.Protocol;
using Raft.Actors.Storage;

namespace Raft.Benchmarks;

/// <summary>
/// FileLogStore append latency and throughput with every batch fdatasync'ed, the disk's own
/// 4 KiB write + fdatasync for comparison, and the speed of reopening a large log.
/// </summary>
internal static class WalBenchmark
{
    private const int RawSyncFileSize = 64 << 20;

    // Record header (32 bytes) of an entry without a client session; the payload follows.
    private const int RecordFormatSize = 32;

    public static async Task RunAsync(BenchmarkOptions options)
    {
        Directory.CreateDirectory(options.Directory);
        try
        {
            Console.Error.WriteLine($"# every append is one write + one fdatasync (group commit per batch); data in {options.Directory}");
            using var probe = new RawSyncProbe(Path.Combine(options.Directory, "raw-sync"));
            var fsync = MeasureRawSync(probe);
            new Json().Add("scenario", "fdatasync_4k").Add("durability", "4 KiB overwrite of preallocated blocks + fdatasync")
                .Add("p50_us", fsync.P50).Add("p99_us", fsync.P99).Print();

            foreach (var payload in new[] { 64, 1024 })
            {
                foreach (var batch in new[] { 1, 16, 256 })
                {
                    if (options.Only is null || options.Only == $"{payload}x{batch}")
                    {
                        await AppendCaseAsync(options, payload, batch, probe);
                    }
                }
            }

            if (options.Only is null || options.Only == "shared")
            {
                await SharedWalBenchmark.RunAsync(options, payload: 64);
            }

            if (options.Only is null || options.Only == "recovery")
            {
                await RecoveryCaseAsync(options);
            }
        }
        finally
        {
            Directory.Delete(options.Directory, recursive: true);
        }
    }

    private static (double P50, double P99) MeasureRawSync(RawSyncProbe probe)
    {
        var samples = new List<double>();
        for (var i = 0; i < 2200; i++)
        {
            var sample = probe.Sample();
            if (i >= 200)
            {
                samples.Add(sample);
            }
        }

        return (Percentile(samples, 0.50), Percentile(samples, 0.99));
    }

    private static async Task AppendCaseAsync(BenchmarkOptions options, int payload, int batchSize, RawSyncProbe probe)
    {
        var directory = Path.Combine(options.Directory, $"append-{payload}-{batchSize}");
        var data = new byte[payload];
        Random.Shared.NextBytes(data);
        var latencies = new List<double>(100_000);
        var baseline = new List<double>(10_000);
        long entries = 0;
        long probing = 0;
        double seconds;
        await using (var store = await FileLogStore.OpenAsync(directory))
        {
            ulong index = 0;
            var warmUntil = Stopwatch.GetTimestamp() + (long)(options.WarmupSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < warmUntil)
            {
                await store.AppendAsync(MakeBatch(ref index, batchSize, data));
            }

            var end = Stopwatch.GetTimestamp() + (long)(options.Seconds * Stopwatch.Frequency);
            var started = Stopwatch.GetTimestamp();
            while (Stopwatch.GetTimestamp() < end)
            {
                var batch = MakeBatch(ref index, batchSize, data);
                var start = Stopwatch.GetTimestamp();
                await store.AppendAsync(batch);
                latencies.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                entries += batchSize;
                if (latencies.Count % 8 == 0)
                {
                    // The baseline, interleaved: same disk, same moment. Its time is not counted.
                    var probeStart = Stopwatch.GetTimestamp();
                    baseline.Add(probe.Sample());
                    probing += Stopwatch.GetTimestamp() - probeStart;
                }
            }

            seconds = (Stopwatch.GetTimestamp() - started - probing) / (double)Stopwatch.Frequency;
        }

        Directory.Delete(directory, recursive: true);
        new Json().Add("scenario", "wal_append").Add("durability", "each batch fdatasync'ed before the append returns")
            .Add("payload", payload).Add("batch", batchSize).Add("batches", latencies.Count)
            .Add("entries_per_s", entries / seconds, 0).Add("mb_per_s", entries * (double)payload / seconds / 1e6)
            .Add("p50_us", Percentile(latencies, 0.50)).Add("p99_us", Percentile(latencies, 0.99))
            .Add("fsync_p50_us", Percentile(baseline, 0.50)).Add("fsync_p99_us", Percentile(baseline, 0.99))
            .Add("p50_over_fsync_us", Percentile(latencies, 0.50) - Percentile(baseline, 0.50)).Print();
    }

    private static async Task RecoveryCaseAsync(BenchmarkOptions options)
    {
        var directory = Path.Combine(options.Directory, "recovery");
        var data = new byte[1024];
        Random.Shared.NextBytes(data);
        var target = (long)options.RecoveryMegabytes << 20;
        ulong index = 0;
        long written = 0;
        await using (var store = await FileLogStore.OpenAsync(directory))
        {
            while (written < target)
            {
                await store.AppendAsync(MakeBatch(ref index, 256, data));
                written += 256L * (RecordFormatSize + data.Length);
            }
        }

        // Reopening reads the records (written) plus the zeros after them in the last segment and
        // the spare, which it checks for stray records; the rate is stated for the log's records.
        var files = Directory.GetFiles(directory, "*.wal").Sum(f => new FileInfo(f).Length);
        foreach (var cache in new[] { "warm", "cold" })
        {
            if (cache == "cold")
            {
                foreach (var file in Directory.GetFiles(directory, "*.wal"))
                {
                    NativeSync.DropCache(file);
                }
            }

            var started = Stopwatch.GetTimestamp();
            await using var store = await FileLogStore.OpenAsync(directory);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (store.LastIndex != index)
            {
                throw new InvalidOperationException($"Reopened log ends at {store.LastIndex}, expected {index}.");
            }

            new Json().Add("scenario", "recovery").Add("cache", cache).Add("log_mb", written / 1e6, 0).Add("files_mb", files / 1e6, 0)
                .Add("entries", (long)index).Add("open_s", seconds, 3).Add("mb_per_s", written / seconds / 1e6, 0).Print();
        }
    }


    private static LogBatch MakeBatch(ref ulong index, int size, byte[] data)
    {
        var entries = new Entry[size];
        for (var i = 0; i < size; i++)
        {
            entries[i] = new Entry { Index = ++index, Term = 1, Data = data };
        }

        return new LogBatch(entries, null);
    }

    private static double Percentile(List<double> samples, double p)
    {
        var sorted = samples.ToArray();
        Array.Sort(sorted);
        return sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
    }
}
