using System.Diagnostics;
using Raft.Actors.Storage;
using Raft.Storage.CrashWriter;
using Xunit;

namespace Raft.Actors.Tests.Storage;

/// <summary>
/// Runs the crash writer (<c>Raft.Storage.CrashWriter</c>) again and again on one directory and
/// SIGKILLs it at a random moment each time; the caller checks each run's output against what
/// the reopened log holds.
/// </summary>
internal static class CrashRuns
{
    /// <summary>The seed from RAFT_CRASH_SEED (to replay a failure), else a random one.</summary>
    public static int Seed() => Environment.GetEnvironmentVariable("RAFT_CRASH_SEED") is { } s ? int.Parse(s) : Random.Shared.Next();

    /// <summary>
    /// <paramref name="kills"/> runs of the writer (with <paramref name="mode"/> as its third
    /// argument, if any), each killed at a random moment; <paramref name="check"/> gets the run
    /// number and the lines it printed.
    /// </summary>
    public static async Task RunAsync(string directory, int seed, int kills, string? mode, Func<int, List<string>, Task> check)
    {
        var random = new Random(seed);
        for (var kill = 0; kill < kills; kill++)
        {
            // Half the kills land anywhere from process start (some during recovery), half once
            // the store is open, so that a loaded machine still gets writes done.
            var afterOpen = random.Next(2) == 0;
            var delay = TimeSpan.FromMilliseconds(afterOpen ? random.Next(1, 200) : random.Next(60, 450));
            await check(kill, await RunAndKillAsync(directory, seed + kill, afterOpen, delay, mode));
        }
    }

    /// <summary>
    /// Asserts that <paramref name="actual"/> is what <paramref name="model"/> holds (the
    /// acknowledged writes) or that plus the operation in flight applied whole; in the second
    /// case applies it to the model too and returns true.
    /// </summary>
    public static async Task<bool> MatchAsync(InMemoryLogStore model, string? inFlight, LogState actual, string context)
    {
        var expected = await model.LoadAsync();
        if (Same(expected, actual))
        {
            return false;
        }

        Assert.True(inFlight is not null, $"{context}: the log differs from the acknowledged writes and nothing was in flight. {Describe(expected, actual)}");
        var withInFlight = new InMemoryLogStore();
        await withInFlight.CompactAsync(expected.CompactedIndex, expected.CompactedTerm);
        await withInFlight.AppendAsync(new LogBatch(expected.Entries, expected.HardState));
        await CrashWorkload.ApplyAsync(withInFlight, inFlight);
        var alternative = await withInFlight.LoadAsync();
        Assert.True(Same(alternative, actual), $"{context}: the log is neither the acknowledged writes nor those plus '{inFlight}' applied whole. {Describe(alternative, actual)}");
        await CrashWorkload.ApplyAsync(model, inFlight);
        return true;
    }

    private static bool Same(LogState expected, LogState actual) =>
        expected.HardState == actual.HardState &&
        expected.CompactedIndex == actual.CompactedIndex &&
        expected.CompactedTerm == actual.CompactedTerm &&
        expected.Entries.SequenceEqual(actual.Entries);

    private static string Describe(LogState expected, LogState actual) =>
        $"expected hs={expected.HardState} compacted={expected.CompactedIndex}@{expected.CompactedTerm} entries={expected.Entries.Count} (last {(expected.Entries.Count > 0 ? expected.Entries[^1].ToString() : "-")}); " +
        $"actual hs={actual.HardState} compacted={actual.CompactedIndex}@{actual.CompactedTerm} entries={actual.Entries.Count} (last {(actual.Entries.Count > 0 ? actual.Entries[^1].ToString() : "-")})";

    private static async Task<List<string>> RunAndKillAsync(string directory, int seed, bool afterOpen, TimeSpan killAfter, string? mode = null)
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
