using System.Diagnostics;
using Raft.Actors.Storage;
using Raft.Storage.CrashWriter;
using Xunit;
using Xunit.Abstractions;

namespace Raft.Actors.Tests.Storage;

/// <summary>
/// PITFALLS #9: a real child process appends (with truncations and compactions) and prints
/// each operation before it starts and "A" once the store acknowledged it; the test SIGKILLs
/// the child at random moments, reopens the log and checks it holds exactly every
/// acknowledged operation, plus at most the one in flight, applied whole.
/// </summary>
public sealed class FileLogStoreCrashTests(ITestOutputHelper output) : IDisposable
{
    private const int Kills = 60;
    private readonly StorageTestDirectory _root = new("crash");

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Every_acknowledged_write_survives_SIGKILL_at_random_moments()
    {
        var seed = Environment.GetEnvironmentVariable("RAFT_CRASH_SEED") is { } s ? int.Parse(s) : Random.Shared.Next();
        var random = new Random(seed);
        var directory = _root.Sub("log");
        var model = new InMemoryLogStore();
        var stopwatch = Stopwatch.StartNew();
        long acknowledged = 0, inFlightApplied = 0, inFlightLost = 0;
        for (var kill = 0; kill < Kills; kill++)
        {
            // Half the kills land anywhere from process start (some during recovery), half once
            // the store is open, so that a loaded machine still gets writes done.
            var afterOpen = random.Next(2) == 0;
            var delay = TimeSpan.FromMilliseconds(afterOpen ? random.Next(1, 200) : random.Next(60, 450));
            var lines = await RunAndKillAsync(directory, seed + kill, afterOpen, delay);

            // Apply what was acknowledged; remember what was in flight.
            string? inFlight = null;
            foreach (var line in lines)
            {
                if (line == "A")
                {
                    await CrashWorkload.ApplyAsync(model, inFlight!);
                    acknowledged++;
                    inFlight = null;
                }
                else if (line[0] is 'B' or 'C')
                {
                    inFlight = line;
                }
            }

            FileLogStore store;
            try
            {
                store = await FileLogStore.OpenAsync(directory, new FileLogStoreOptions { SegmentSize = CrashWorkload.SegmentSize });
            }
            catch (Exception ex)
            {
                throw new Xunit.Sdk.XunitException($"seed {seed}, kill {kill} (in flight: '{inFlight}'): reopening failed: {ex}");
            }

            await using var opened = store;
            var actual = await store.LoadAsync();
            var expected = await model.LoadAsync();
            if (Same(expected, actual))
            {
                inFlightLost += inFlight is null ? 0 : 1;
                continue;
            }

            Assert.True(inFlight is not null, $"seed {seed}, kill {kill}: the log differs from the acknowledged writes and nothing was in flight. {Describe(expected, actual)}");
            var withInFlight = new InMemoryLogStore();
            await withInFlight.CompactAsync(expected.CompactedIndex, expected.CompactedTerm);
            await withInFlight.AppendAsync(new LogBatch(expected.Entries, expected.HardState));
            await CrashWorkload.ApplyAsync(withInFlight, inFlight);
            var alternative = await withInFlight.LoadAsync();
            Assert.True(Same(alternative, actual), $"seed {seed}, kill {kill}: the log is neither the acknowledged writes nor those plus '{inFlight}' applied whole. {Describe(alternative, actual)}");
            await CrashWorkload.ApplyAsync(model, inFlight);
            inFlightApplied++;
        }

        output.WriteLine($"seed {seed}: {Kills} kills, {acknowledged} acknowledged operations, in-flight applied {inFlightApplied} / lost {inFlightLost}, {stopwatch.Elapsed.TotalSeconds:F1} s");
        Assert.True(acknowledged > Kills, $"seed {seed}: only {acknowledged} operations were acknowledged in {Kills} runs; the writer hardly ran.");
    }

    internal static bool Same(LogState expected, LogState actual) =>
        expected.HardState == actual.HardState &&
        expected.CompactedIndex == actual.CompactedIndex &&
        expected.CompactedTerm == actual.CompactedTerm &&
        expected.Entries.SequenceEqual(actual.Entries);

    internal static string Describe(LogState expected, LogState actual) =>
        $"expected hs={expected.HardState} compacted={expected.CompactedIndex}@{expected.CompactedTerm} entries={expected.Entries.Count} (last {(expected.Entries.Count > 0 ? expected.Entries[^1].ToString() : "-")}); " +
        $"actual hs={actual.HardState} compacted={actual.CompactedIndex}@{actual.CompactedTerm} entries={actual.Entries.Count} (last {(actual.Entries.Count > 0 ? actual.Entries[^1].ToString() : "-")})";

    internal static async Task<List<string>> RunAndKillAsync(string directory, int seed, bool afterOpen, TimeSpan killAfter, string? mode = null)
    {
        var writer = Path.Combine(AppContext.BaseDirectory, "Raft.Storage.CrashWriter.dll");
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(writer);
        start.ArgumentList.Add(directory);
        start.ArgumentList.Add(seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (mode is not null)
        {
            start.ArgumentList.Add(mode);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the crash writer.");
        var lines = new List<string>();
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                lines.Add(line);
                if (line[0] == 'O')
                {
                    opened.TrySetResult();
                }
            }

            opened.TrySetResult();
        });
        var errors = process.StandardError.ReadToEndAsync();
        if (afterOpen)
        {
            await opened.Task.WaitAsync(TimeSpan.FromSeconds(20));
        }

        await Task.Delay(killAfter);
        if (process.HasExited)
        {
            throw new InvalidOperationException($"The crash writer exited by itself with code {process.ExitCode}: {await errors}");
        }

        process.Kill(); // SIGKILL on Unix
        await process.WaitForExitAsync();
        await reader;
        return lines;
    }

    private static string DotnetHost()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet")
        {
            return current;
        }

        return "dotnet";
    }
}
