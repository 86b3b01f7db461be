using System.Diagnostics;
using Raft.Actors.Storage;
using Raft.Storage.CrashWriter;
using Xunit;
using Xunit.Abstractions;

namespace Raft.Actors.Tests.Storage;

/// <summary>
/// A real child process drives several groups of one <see cref="SharedLog"/> concurrently (so
/// their appends coalesce into shared writes) and prints, per group, each operation before it
/// starts and "A" once acknowledged; the test SIGKILLs it at random moments, reopens the log
/// and checks that every group holds exactly its acknowledged operations, plus at most its one
/// in flight, applied whole.
/// </summary>
public sealed class SharedLogCrashTests(ITestOutputHelper output) : IDisposable
{
    private const int Kills = 40;
    private readonly StorageTestDirectory _root = new("shared-crash");

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Every_acknowledged_write_of_every_group_survives_SIGKILL_at_random_moments()
    {
        var seed = CrashRuns.Seed();
        var directory = _root.Sub("log");
        var models = Enumerable.Range(0, CrashWorkload.SharedGroups + 1).Select(_ => new InMemoryLogStore()).ToArray();
        var stopwatch = Stopwatch.StartNew();
        long acknowledged = 0, inFlightApplied = 0, inFlightLost = 0;
        await CrashRuns.RunAsync(directory, seed, Kills, "shared", async (kill, lines) =>
        {
            var inFlight = new string?[models.Length];
            foreach (var line in lines)
            {
                var space = line.IndexOf(' ');
                if (line == "O" || space < 0)
                {
                    continue; // "O", or the last line cut short by the kill
                }

                var group = int.Parse(line[..space]);
                var operation = line[(space + 1)..];
                if (operation == "A")
                {
                    await CrashWorkload.ApplyAsync(models[group], inFlight[group]!);
                    acknowledged++;
                    inFlight[group] = null;
                }
                else if (operation[0] is 'B' or 'C')
                {
                    inFlight[group] = operation;
                }
            }

            SharedLog log;
            try
            {
                log = await SharedLog.OpenAsync(directory, new FileLogStoreOptions { SegmentSize = CrashWorkload.SegmentSize });
            }
            catch (Exception ex)
            {
                throw new Xunit.Sdk.XunitException($"seed {seed}, kill {kill}: reopening failed: {ex}");
            }

            await using var opened = log;
            for (var group = 1; group < models.Length; group++)
            {
                await using var store = log.OpenGroup((ulong)group);
                if (await CrashRuns.MatchAsync(models[group], inFlight[group], await store.LoadAsync(), $"seed {seed}, kill {kill}, group {group}"))
                {
                    inFlightApplied++;
                }
                else
                {
                    inFlightLost += inFlight[group] is null ? 0 : 1;
                }
            }
        });

        output.WriteLine($"seed {seed}: {Kills} kills, {acknowledged} acknowledged operations over {CrashWorkload.SharedGroups} groups, in-flight applied {inFlightApplied} / lost {inFlightLost}, {stopwatch.Elapsed.TotalSeconds:F1} s");
        Assert.True(acknowledged > Kills * 2, $"seed {seed}: only {acknowledged} operations were acknowledged in {Kills} runs; the writer hardly ran.");
    }
}
