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
        var seed = CrashRuns.Seed();
        var directory = _root.Sub("log");
        var model = new InMemoryLogStore();
        var stopwatch = Stopwatch.StartNew();
        long acknowledged = 0, inFlightApplied = 0, inFlightLost = 0;
        await CrashRuns.RunAsync(directory, seed, Kills, mode: null, async (kill, lines) =>
        {
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
            if (await CrashRuns.MatchAsync(model, inFlight, await store.LoadAsync(), $"seed {seed}, kill {kill}"))
            {
                inFlightApplied++;
            }
            else
            {
                inFlightLost += inFlight is null ? 0 : 1;
            }
        });

        output.WriteLine($"seed {seed}: {Kills} kills, {acknowledged} acknowledged operations, in-flight applied {inFlightApplied} / lost {inFlightLost}, {stopwatch.Elapsed.TotalSeconds:F1} s");
        Assert.True(acknowledged > Kills, $"seed {seed}: only {acknowledged} operations were acknowledged in {Kills} runs; the writer hardly ran.");
    }
}
