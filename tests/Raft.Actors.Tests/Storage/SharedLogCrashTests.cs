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
        var seed = Environment.GetEnvironmentVariable("RAFT_CRASH_SEED") is { } s ? int.Parse(s) : Random.Shared.Next();
        var random = new Random(seed);
        var directory = _root.Sub("log");
        var models = Enumerable.Range(0, CrashWorkload.SharedGroups + 1).Select(_ => new InMemoryLogStore()).ToArray();
        var stopwatch = Stopwatch.StartNew();
        long acknowledged = 0, inFlightApplied = 0, inFlightLost = 0;
        for (var kill = 0; kill < Kills; kill++)
        {
            var afterOpen = random.Next(2) == 0;
            var delay = TimeSpan.FromMilliseconds(afterOpen ? random.Next(1, 200) : random.Next(60, 450));
            var lines = await FileLogStoreCrashTests.RunAndKillAsync(directory, seed + kill, afterOpen, delay, "shared");

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
                var actual = await store.LoadAsync();
                var expected = await models[group].LoadAsync();
                if (FileLogStoreCrashTests.Same(expected, actual))
                {
                    inFlightLost += inFlight[group] is null ? 0 : 1;
                    continue;
                }

                Assert.True(inFlight[group] is not null, $"seed {seed}, kill {kill}, group {group}: the log differs from the acknowledged writes and nothing was in flight. {FileLogStoreCrashTests.Describe(expected, actual)}");
                var withInFlight = new InMemoryLogStore();
                await withInFlight.CompactAsync(expected.CompactedIndex, expected.CompactedTerm);
                await withInFlight.AppendAsync(new LogBatch(expected.Entries, expected.HardState));
                await CrashWorkload.ApplyAsync(withInFlight, inFlight[group]!);
                var alternative = await withInFlight.LoadAsync();
                Assert.True(FileLogStoreCrashTests.Same(alternative, actual), $"seed {seed}, kill {kill}, group {group}: the log is neither the acknowledged writes nor those plus '{inFlight[group]}' applied whole. {FileLogStoreCrashTests.Describe(alternative, actual)}");
                await CrashWorkload.ApplyAsync(models[group], inFlight[group]!);
                inFlightApplied++;
            }
        }

        output.WriteLine($"seed {seed}: {Kills} kills, {acknowledged} acknowledged operations over {CrashWorkload.SharedGroups} groups, in-flight applied {inFlightApplied} / lost {inFlightLost}, {stopwatch.Elapsed.TotalSeconds:F1} s");
        Assert.True(acknowledged > Kills * 2, $"seed {seed}: only {acknowledged} operations were acknowledged in {Kills} runs; the writer hardly ran.");
    }
}
