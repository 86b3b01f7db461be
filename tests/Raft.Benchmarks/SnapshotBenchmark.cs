using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Raft.Actors.Protocol;
using Raft.Actors.Snapshots;

namespace Raft.Benchmarks;

/// <summary>
/// Saves a generated state as a snapshot and loads it back, per codec, with 1 worker and with one
/// worker per core; prints one JSON line per case and a speedup line for the default codec.
/// </summary>
/// <remarks>
/// Save: <see cref="FileSnapshotStore"/> create, write the state in 1 MiB pieces, publish (temp
/// file, fsync, rename, directory fsync); with <c>--no-fsync</c> a plain file without any sync.
/// Load: <see cref="SnapshotReader"/> over the file just saved (from the page cache), every chunk
/// verified. <c>memory_*</c>: the same pipeline between memory buffers (no file system), which
/// separates the codec's scaling from the disk's. <c>*_mb_per_cpu_s</c>: the memory run divided by
/// the process's CPU time instead of wall-clock time: the cost per core, which holds even on a
/// machine busy with other work. Throughput is in MB of state (10^6 bytes, uncompressed) per second,
/// the median of the runs.
/// </remarks>
internal static class SnapshotBenchmark
{
    private const int Piece = 1 << 20;

    public static async Task<int> RunAsync(string[] args)
    {
        var sizeMb = 256;
        var runs = 3;
        var fsync = true;
        var root = Path.GetTempPath();
        SnapshotCodec[] codecs = [SnapshotCodec.None, SnapshotCodec.Lz4, SnapshotCodec.Zstandard, SnapshotCodec.Deflate];
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--size-mb":
                    sizeMb = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--runs":
                    runs = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--dir":
                    root = args[++i];
                    break;
                case "--no-fsync":
                    fsync = false;
                    break;
                case "--codecs":
                    codecs = [.. args[++i].Split(',').Select(ParseCodec)];
                    break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}");
                    return 2;
            }
        }

        var directory = Path.Combine(root, $"raft-snapshot-bench-{Environment.ProcessId}");
        var state = GenerateState((long)sizeMb << 20);
        int[] workerCounts = Environment.ProcessorCount > 1 ? [1, Environment.ProcessorCount] : [1];
        Print(new JsonObject
        {
            ["benchmark"] = "snapshot",
            ["case"] = "setup",
            ["size_mb"] = Math.Round(state.Length / 1e6, 1),
            ["processors"] = Environment.ProcessorCount,
            ["runs"] = runs,
            ["save_fsynced"] = fsync,
            ["save"] = fsync ? "FileSnapshotStore create + write + publish (temp file, fsync, rename, directory fsync); old snapshots not deleted during the runs" : "plain file, no fsync",
            ["load"] = "SnapshotReader over the saved file, from the page cache, every chunk verified",
            ["unit"] = "MB/s of uncompressed state (MB = 10^6 bytes), median of runs; memory_*: memory to memory, no file; *_per_cpu_s: memory run per second of process CPU time",
            ["dir"] = directory,
            ["load_average_before"] = LoadAverage(),
        });

        WarmUp(state, codecs, workerCounts);
        var saves = new Dictionary<(SnapshotCodec, int), double>();
        var loads = new Dictionary<(SnapshotCodec, int), double>();
        var memorySaves = new Dictionary<(SnapshotCodec, int), double>();
        var memoryLoads = new Dictionary<(SnapshotCodec, int), double>();
        try
        {
            foreach (var codec in codecs)
            {
                foreach (var workers in workerCounts)
                {
                    var (save, load, ratio, publishMs) = await MeasureFileAsync(state, codec, workers, runs, directory, fsync);
                    var memory = MeasureInMemory(state, codec, workers, runs);
                    saves[(codec, workers)] = save;
                    loads[(codec, workers)] = load;
                    memorySaves[(codec, workers)] = memory.Save;
                    memoryLoads[(codec, workers)] = memory.Load;
                    Print(new JsonObject
                    {
                        ["benchmark"] = "snapshot",
                        ["codec"] = Name(codec),
                        ["workers"] = workers,
                        ["save_mb_per_s"] = Math.Round(save),
                        ["load_mb_per_s"] = Math.Round(load),
                        ["ratio"] = Math.Round(ratio, 2),
                        ["save_fsynced"] = fsync,
                        ["publish_ms"] = Math.Round(publishMs, 1),
                        ["memory_save_mb_per_s"] = Math.Round(memory.Save),
                        ["memory_load_mb_per_s"] = Math.Round(memory.Load),
                        ["compress_mb_per_cpu_s"] = Math.Round(memory.SaveCpu),
                        ["decompress_mb_per_cpu_s"] = Math.Round(memory.LoadCpu),
                    });
                }
            }

            var all = workerCounts[^1];
            if (all > 1 && saves.ContainsKey((SnapshotOptions.DefaultCodec, 1)))
            {
                var codec = SnapshotOptions.DefaultCodec;
                Print(new JsonObject
                {
                    ["benchmark"] = "snapshot",
                    ["case"] = "speedup",
                    ["codec"] = Name(codec),
                    ["workers"] = all,
                    ["save_speedup"] = Math.Round(saves[(codec, all)] / saves[(codec, 1)], 2),
                    ["load_speedup"] = Math.Round(loads[(codec, all)] / loads[(codec, 1)], 2),
                    ["memory_save_speedup"] = Math.Round(memorySaves[(codec, all)] / memorySaves[(codec, 1)], 2),
                    ["memory_load_speedup"] = Math.Round(memoryLoads[(codec, all)] / memoryLoads[(codec, 1)], 2),
                    ["save_fsynced"] = fsync,
                    ["load_average_after"] = LoadAverage(),
                });
            }
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        return 0;
    }

    private static async Task<(double Save, double Load, double Ratio, double PublishMs)> MeasureFileAsync(byte[] state, SnapshotCodec codec, int workers, int runs, string directory, bool fsync)
    {
        var options = new SnapshotOptions { Codec = codec, Workers = workers };
        // Retention keeps every snapshot of the runs: deleting the previous one is housekeeping, not
        // saving (unlinking a 256 MB file costs about 100 ms on the project's VM).
        var storeDirectory = Path.Combine(directory, $"{Name(codec)}-{workers}");
        var store = new FileSnapshotStore(new FileSnapshotStoreOptions { Directory = storeDirectory, Retain = runs + 2, Snapshot = options });
        var metadata = new SnapshotMetadata { Index = 1, Term = 1, ConfState = ConfState.OfVoters(1, 2, 3) };
        var buffer = new byte[Piece];
        var saves = new List<double>();
        var loads = new List<double>();
        var publishes = new List<double>();
        long stored = 0;
        for (var run = 0; run <= runs; run++)
        {
            // Run 0 warms up (JIT, pool, page cache) and is not counted.
            metadata = metadata with { Index = metadata.Index + 1 };
            string path;
            var watch = Stopwatch.StartNew();
            if (fsync)
            {
                await using var pending = await store.CreateAsync(metadata);
                WriteInPieces(pending.Content, state);
                var publishStart = watch.Elapsed.TotalSeconds;
                path = (await pending.PublishAsync()).Name;
                if (run > 0)
                {
                    publishes.Add((watch.Elapsed.TotalSeconds - publishStart) * 1000);
                }
            }
            else
            {
                Directory.CreateDirectory(directory);
                path = Path.Combine(directory, $"plain-{run}.snap");
                using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024);
                using var writer = new SnapshotWriter(file, metadata, options);
                WriteInPieces(writer, state);
                writer.Complete();
            }

            var save = watch.Elapsed.TotalSeconds;
            stored = new FileInfo(path).Length;

            watch.Restart();
            using (var reader = SnapshotReader.Open(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.SequentialScan), path, options))
            {
                long total = 0;
                for (var n = reader.Read(buffer); n > 0; n = reader.Read(buffer))
                {
                    total += n;
                }

                if (total != state.Length)
                {
                    throw new InvalidOperationException($"Loaded {total} bytes, saved {state.Length}.");
                }
            }

            var load = watch.Elapsed.TotalSeconds;
            if (!fsync)
            {
                File.Delete(path);
            }

            if (run > 0)
            {
                saves.Add(state.Length / 1e6 / save);
                loads.Add(state.Length / 1e6 / load);
            }
        }

        if (Directory.Exists(storeDirectory))
        {
            Directory.Delete(storeDirectory, recursive: true);
        }

        return (Median(saves), Median(loads), (double)state.Length / stored, publishes.Count == 0 ? 0 : Median(publishes));
    }

    // The same pipeline between memory buffers (no file system): wall-clock throughput, and MB of state
    // per second of process CPU time (all threads), which is what one core does even when the
    // machine is busy with other work.
    private static (double Save, double Load, double SaveCpu, double LoadCpu) MeasureInMemory(byte[] state, SnapshotCodec codec, int workers, int runs)
    {
        var process = Process.GetCurrentProcess();
        var options = new SnapshotOptions { Codec = codec, Workers = workers };
        var metadata = new SnapshotMetadata { Index = 1, Term = 1, ConfState = ConfState.OfVoters(1) };
        var file = new MemoryStream(state.Length + (state.Length / 8));
        var buffer = new byte[Piece];
        List<double> saves = [], loads = [], saveCpus = [], loadCpus = [];
        for (var run = 0; run <= runs; run++)
        {
            file.SetLength(0);
            var cpu = CpuSeconds(process);
            var watch = Stopwatch.StartNew();
            using (var writer = new SnapshotWriter(file, metadata, options, leaveOpen: true))
            {
                WriteInPieces(writer, state);
                writer.Complete();
            }

            var save = watch.Elapsed.TotalSeconds;
            var saveCpu = CpuSeconds(process) - cpu;
            file.Position = 0;
            cpu = CpuSeconds(process);
            watch.Restart();
            using (var reader = SnapshotReader.Open(file, "memory", options, leaveOpen: true))
            {
                while (reader.Read(buffer) > 0)
                {
                }
            }

            var load = watch.Elapsed.TotalSeconds;
            var loadCpu = CpuSeconds(process) - cpu;
            if (run > 0)
            {
                var mb = state.Length / 1e6;
                saves.Add(mb / save);
                loads.Add(mb / load);
                saveCpus.Add(mb / saveCpu);
                loadCpus.Add(mb / loadCpu);
            }
        }

        return (Median(saves), Median(loads), Median(saveCpus), Median(loadCpus));
    }

    // Tiered compilation (with PGO) reaches its final code only after many calls; run every codec
    // through the pipeline long enough before measuring anything.
    private static void WarmUp(byte[] state, SnapshotCodec[] codecs, int[] workerCounts)
    {
        var slice = state.AsSpan(0, Math.Min(state.Length, 32 << 20)).ToArray();
        var metadata = new SnapshotMetadata { Index = 1, Term = 1, ConfState = ConfState.OfVoters(1) };
        var file = new MemoryStream();
        var buffer = new byte[Piece];
        for (var round = 0; round < 4; round++)
        {
            foreach (var codec in codecs)
            {
                foreach (var workers in workerCounts)
                {
                    var options = new SnapshotOptions { Codec = codec, Workers = workers };
                    file.SetLength(0);
                    using (var writer = new SnapshotWriter(file, metadata, options, leaveOpen: true))
                    {
                        WriteInPieces(writer, slice);
                        writer.Complete();
                    }

                    file.Position = 0;
                    using var reader = SnapshotReader.Open(file, "warm-up", options, leaveOpen: true);
                    while (reader.Read(buffer) > 0)
                    {
                    }
                }
            }
        }
    }

    private static double CpuSeconds(Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime.TotalSeconds;
    }

    private static void WriteInPieces(Stream destination, byte[] state)
    {
        // The way a state machine writes: many medium-sized writes.
        for (var at = 0; at < state.Length; at += Piece)
        {
            destination.Write(state, at, Math.Min(Piece, state.Length - at));
        }
    }

    /// <summary>
    /// JSON-like account records with random numbers, names, tags and a random 64-bit session id,
    /// generated deterministically: LZ4 compresses them about 2:1, like typical serialized state.
    /// </summary>
    private static byte[] GenerateState(long size)
    {
        var state = GC.AllocateUninitializedArray<byte>(checked((int)size));
        var random = new XorShift(20261125);
        Span<byte> record = stackalloc byte[512];
        var at = 0;
        for (long id = 0; at < state.Length; id++)
        {
            var length = WriteRecord(record, ref random, id);
            var count = Math.Min(length, state.Length - at);
            record[..count].CopyTo(state.AsSpan(at));
            at += count;
        }

        return state;
    }

    private static readonly string[] s_words =
    [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima",
        "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey",
        "xray", "yankee", "zulu", "premium", "trial", "enterprise", "internal", "beta", "archived",
    ];

    private static int WriteRecord(Span<byte> record, ref XorShift random, long id)
    {
        var at = 0;
        Append(record, ref at, "{\"id\":"u8);
        Number(record, ref at, id);
        var user = (long)random.Next(100_000);
        Append(record, ref at, ",\"user\":\"user-"u8);
        Number(record, ref at, user);
        Append(record, ref at, "\",\"email\":\"user-"u8);
        Number(record, ref at, user);
        Append(record, ref at, "@example.org\",\"balance\":"u8);
        Number(record, ref at, (long)random.Next(10_000_000));
        Append(record, ref at, "."u8);
        Number(record, ref at, 10 + (long)random.Next(90));
        Append(record, ref at, random.Next(3) switch { 0 => ",\"currency\":\"EUR\""u8, 1 => ",\"currency\":\"USD\""u8, _ => ",\"currency\":\"GBP\""u8 });
        Append(record, ref at, ",\"tags\":[\""u8);
        Word(record, ref at, ref random);
        Append(record, ref at, "\",\""u8);
        Word(record, ref at, ref random);
        Append(record, ref at, random.Next(2) == 0 ? "\"],\"active\":true"u8 : "\"],\"active\":false"u8);
        Append(record, ref at, ",\"updated\":\"2026-"u8);
        Number(record, ref at, 10 + (long)random.Next(3));
        Append(record, ref at, "-"u8);
        Number(record, ref at, 10 + (long)random.Next(19));
        Append(record, ref at, "T"u8);
        Number(record, ref at, 10 + (long)random.Next(14));
        Append(record, ref at, ":"u8);
        Number(record, ref at, 10 + (long)random.Next(50));
        Append(record, ref at, ":00Z\",\"session\":\""u8);
        Utf8Formatter.TryFormat(random.NextUInt64(), record[at..], out var written, new StandardFormat('x', 16));
        at += written;
        Append(record, ref at, "\",\"ip\":\"10."u8);
        Number(record, ref at, (long)random.Next(256));
        Append(record, ref at, "."u8);
        Number(record, ref at, (long)random.Next(256));
        Append(record, ref at, "."u8);
        Number(record, ref at, (long)random.Next(256));
        Append(record, ref at, "\",\"ref\":\""u8);
        Utf8Formatter.TryFormat(random.NextUInt64(), record[at..], out written, new StandardFormat('x', 16));
        at += written;
        Append(record, ref at, "\"}\n"u8);
        return at;
    }

    private static void Word(Span<byte> record, ref int at, ref XorShift random)
    {
        var word = s_words[random.Next(s_words.Length)];
        for (var i = 0; i < word.Length; i++)
        {
            record[at++] = (byte)word[i];
        }
    }

    private static void Append(Span<byte> record, ref int at, ReadOnlySpan<byte> text)
    {
        text.CopyTo(record[at..]);
        at += text.Length;
    }

    private static void Number(Span<byte> record, ref int at, long value)
    {
        Utf8Formatter.TryFormat(value, record[at..], out var written);
        at += written;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static SnapshotCodec ParseCodec(string name) => name.Trim().ToLowerInvariant() switch
    {
        "none" => SnapshotCodec.None,
        "lz4" => SnapshotCodec.Lz4,
        "zstd" or "zstandard" => SnapshotCodec.Zstandard,
        "deflate" => SnapshotCodec.Deflate,
        _ => throw new ArgumentException($"unknown codec '{name}' (none, lz4, zstd, deflate)"),
    };

    private static string Name(SnapshotCodec codec) => codec switch
    {
        SnapshotCodec.None => "none",
        SnapshotCodec.Lz4 => "lz4",
        SnapshotCodec.Zstandard => "zstd",
        _ => "deflate",
    };

    private static readonly JsonSerializerOptions s_json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static void Print(JsonObject line) => Console.WriteLine(line.ToJsonString(s_json));

    // xorshift64*: deterministic and fast; the state must be the same on every machine.
    private struct XorShift(ulong seed)
    {
        private ulong _state = seed;

        public ulong NextUInt64()
        {
            _state ^= _state >> 12;
            _state ^= _state << 25;
            _state ^= _state >> 27;
            return _state * 0x2545F4914F6CDD1DUL;
        }

        public int Next(int bound) => (int)((NextUInt64() >> 33) % (ulong)bound);
    }
}
