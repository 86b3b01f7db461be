using Raft.Actors.Protocol;
using Raft.Actors.Storage;
using Xunit;
using Xunit.Abstractions;
using static Raft.Actors.Testing.Conformance.LogStoreConformance;

namespace Raft.Actors.Tests.Storage;

/// <summary>
/// Damage applied to copies of a log of several segments: every single-bit flip in written
/// data is either reported as <see cref="LogCorruptedException"/> or, inside the last batch,
/// recovered as a torn tail; no open ever returns wrong data; truncated files and torn sectors
/// at the tail recover to a prefix of whole batches.
/// </summary>
public sealed class FileLogStoreCorruptionTests(ITestOutputHelper output) : IDisposable
{
    private readonly StorageTestDirectory _root = new("corruption");

    private static FileLogStoreOptions Small => FileLogStoreConformanceTests.SmallSegments;

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Every_bit_flip_is_detected_or_recovered_as_a_torn_tail()
    {
        var seed = Random.Shared.Next();
        var random = new Random(seed);
        var log = await WriteLogAsync(random);
        int corrupt = 0, torn = 0, harmless = 0;
        for (var trial = 0; trial < 400; trial++)
        {
            var copy = log.Copy(_root.Sub($"flip-{trial}"));
            var (segment, file) = log.PickSegment(random, copy);
            var offset = random.NextInt64(new FileInfo(file).Length);
            var bit = random.Next(8);
            FileLogStoreTests.FlipBit(file, offset, bit);
            var context = $"seed {seed}, trial {trial}: bit {bit} of byte {offset} in segment {segment}";
            switch (await log.CheckAsync(copy, segment, offset, context))
            {
                case Outcome.Corrupt: corrupt++; break;
                case Outcome.TornTail: torn++; break;
                default: harmless++; break;
            }

            Directory.Delete(copy, recursive: true);
        }

        output.WriteLine($"seed {seed}: {corrupt} reported as corruption, {torn} recovered as a torn last batch, {harmless} in unused space");
        Assert.True(corrupt > 0 && harmless > 0, $"seed {seed}: the trials missed a class of damage");
    }

    [Fact]
    public async Task Truncated_segment_files_recover_a_prefix_of_whole_batches_or_are_reported()
    {
        var seed = Random.Shared.Next();
        var random = new Random(seed);
        var log = await WriteLogAsync(random);
        for (var trial = 0; trial < 150; trial++)
        {
            var copy = log.Copy(_root.Sub($"cut-{trial}"));
            var (segment, file) = log.PickSegment(random, copy);
            var length = random.Next(4) == 0 ? random.NextInt64(new FileInfo(file).Length) : random.NextInt64(log.DataEnd(segment) + 1);
            using (var stream = File.Open(file, FileMode.Open))
            {
                stream.SetLength(length);
            }

            await log.CheckAsync(copy, segment, length, $"seed {seed}, trial {trial}: segment {segment} cut to {length} bytes", truncated: true);
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public async Task Torn_sectors_in_the_last_batch_drop_exactly_that_batch()
    {
        var seed = Random.Shared.Next();
        var random = new Random(seed);
        var log = await WriteLogAsync(random);
        var last = log.Batches[^1];
        for (var trial = 0; trial < 100; trial++)
        {
            var copy = log.Copy(_root.Sub($"torn-{trial}"));
            var file = Path.Combine(copy, Path.GetFileName(last.Path));
            var sector = (last.Start / 512) + random.NextInt64(((last.End - 1) / 512) - (last.Start / 512) + 1);
            // A torn write leaves a sector of the new batch unwritten (zeros) or half-written
            // (garbage); it never touches the bytes of the batch before it.
            var from = Math.Max(sector * 512, last.Start);
            var bytes = new byte[((sector + 1) * 512) - from];
            if (random.Next(2) == 0)
            {
                random.NextBytes(bytes);
            }

            FileLogStoreTests.Overwrite(file, from, bytes);
            var outcome = await log.CheckAsync(copy, log.LastSegment, from, $"seed {seed}, trial {trial}: sector {sector}");
            Assert.NotEqual(Outcome.Corrupt, outcome);
            Directory.Delete(copy, recursive: true);
        }
    }

    private async Task<WrittenLog> WriteLogAsync(Random random)
    {
        var directory = _root.Sub("original");
        var batches = new List<BatchRecord>();
        await using (var store = await FileLogStore.OpenAsync(directory, Small))
        {
            ulong index = 0;
            for (var b = 0; b < 90; b++)
            {
                var count = random.Next(1, 30);
                var hardState = random.Next(3) == 0 ? new HardState((ulong)b + 1, 1, index) : (HardState?)null;
                var entries = MakeEntries(index + 1, index + (ulong)count, 1, random.Next(0, 300));
                var before = store.ActiveSegment;
                var start = before.WriteOffset;
                await store.AppendAsync(new LogBatch(entries, hardState));
                var segment = store.ActiveSegment;
                index += (ulong)count;
                batches.Add(new BatchRecord(segment.Path, segment == before ? start : 0, segment.WriteOffset, index, store.HardState));
            }
        }

        return new WrittenLog(directory, batches, (await ReadAllAsync(directory)).Entries);
    }

    private static async Task<LogState> ReadAllAsync(string directory)
    {
        await using var store = await FileLogStore.OpenAsync(directory, Small);
        return await store.LoadAsync();
    }

    private enum Outcome
    {
        Corrupt,
        TornTail,
        Intact,
    }

    private sealed record BatchRecord(string Path, long Start, long End, ulong LastIndex, HardState HardState);

    private sealed record WrittenLog(string Directory, List<BatchRecord> Batches, IReadOnlyList<Entry> Entries)
    {
        private List<string> Segments => [.. Batches.Select(b => b.Path).Distinct()];

        public string Copy(string to)
        {
            System.IO.Directory.CreateDirectory(to);
            foreach (var file in System.IO.Directory.GetFiles(Directory, "*.wal"))
            {
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
            }

            return to;
        }

        /// <summary>A data segment, or now and then the preallocated spare (index past the data segments).</summary>
        public (int Segment, string File) PickSegment(Random random, string copy)
        {
            var files = System.IO.Directory.GetFiles(copy, "*.wal").Order().ToArray();
            var segment = random.Next(files.Length);
            return (segment, files[segment]);
        }

        public int LastSegment => Segments.Count - 1;

        public long DataEnd(int segment) => segment < Segments.Count ? Batches.Where(b => b.Path == Segments[segment]).Max(b => b.End) : 0;

        /// <summary>Opens the damaged copy and checks the outcome against where the damage is.</summary>
        public async Task<Outcome> CheckAsync(string copy, int segment, long offset, string context, bool truncated = false)
        {
            var last = Batches[^1];
            var isData = segment < Segments.Count;
            var isLastSegment = isData && Segments[segment] == last.Path;
            var file = isData ? Path.Combine(copy, Path.GetFileName(Segments[segment])) : "";

            // What may survive: the full log when the damage misses written data; without the last
            // batch when it hits the last batch (a torn write cannot be told from it); and when a
            // file was cut short in the last segment, the batches that still fit.
            Outcome expected;
            var keepBatches = Batches.Count;
            if (!isData || offset >= DataEnd(segment))
            {
                expected = Outcome.Intact;
            }
            else if (isLastSegment && (offset >= last.Start || truncated))
            {
                expected = Outcome.TornTail;
                keepBatches = Batches.FindLastIndex(b => b.Path != last.Path || b.End <= (truncated ? offset : last.Start)) + 1;
            }
            else
            {
                expected = Outcome.Corrupt;
            }

            LogState state;
            try
            {
                state = await ReadAllAsync(copy);
            }
            catch (LogCorruptedException ex)
            {
                Assert.True(expected == Outcome.Corrupt || (expected == Outcome.TornTail && !truncated), $"{context}: reported as corruption ({ex.Message}) but expected {expected}");
                if (expected == Outcome.Corrupt)
                {
                    Assert.Equal(file, ex.FilePath);
                    Assert.True(ex.Offset <= offset, $"{context}: damage reported at {ex.Offset}, after the flipped byte");
                }

                return Outcome.Corrupt;
            }

            Assert.True(expected != Outcome.Corrupt, $"{context}: damaged acknowledged data went unnoticed (log opened with {state.Entries.Count} entries)");
            var kept = keepBatches == 0 ? 0 : (int)Batches[keepBatches - 1].LastIndex;
            var allowed = expected == Outcome.Intact ? [Entries.Count] : new[] { kept, Entries.Count };
            Assert.True(allowed.Contains(state.Entries.Count), $"{context}: {state.Entries.Count} entries survived, expected {string.Join(" or ", allowed)}");
            Assert.True(Entries.Take(state.Entries.Count).SequenceEqual(state.Entries), $"{context}: wrong data returned");
            var hardState = state.Entries.Count == 0 ? HardState.Empty : Batches.Last(b => (int)b.LastIndex == state.Entries.Count).HardState;
            Assert.Equal(hardState, state.HardState);
            return state.Entries.Count == Entries.Count ? Outcome.Intact : Outcome.TornTail;
        }
    }
}
