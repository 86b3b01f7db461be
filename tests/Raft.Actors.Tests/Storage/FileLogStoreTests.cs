using Raft.Actors.Protocol;
using Raft.Actors.Storage;
using Xunit;
using static Raft.Actors.Testing.Conformance.LogStoreConformance;

namespace Raft.Actors.Tests.Storage;

public sealed class FileLogStoreTests : IDisposable
{
    private readonly StorageTestDirectory _root = new("file-log");

    private static FileLogStoreOptions Small => FileLogStoreConformanceTests.SmallSegments;

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task A_second_store_cannot_open_a_locked_directory()
    {
        var directory = _root.Sub("locked");
        await using (var first = await FileLogStore.OpenAsync(directory, Small))
        {
            var error = await Assert.ThrowsAsync<IOException>(async () => await FileLogStore.OpenAsync(directory, Small));
            Assert.Contains("in use", error.Message);
        }

        await using var again = await FileLogStore.OpenAsync(directory, Small);
        Assert.Equal(0UL, again.LastIndex);
    }

    [Fact]
    public async Task Open_files_stay_one_per_segment_and_compaction_deletes_whole_segments()
    {
        var directory = _root.Sub("segments");
        await using var store = await FileLogStore.OpenAsync(directory, Small);
        ulong index = 0;
        for (var batch = 0; batch < 400; batch++)
        {
            await store.AppendAsync(new LogBatch(MakeEntries(index + 1, index + 10, 1, 100), new HardState(1, 1, index)));
            index += 10;
        }

        // 4,000 entries of ~136 bytes on 64 KiB segments: about nine segments.
        var segments = store.SegmentCount;
        Assert.InRange(segments, 8, 12);
        Assert.InRange(OpenHandlesUnder(directory), 1, segments + 2); // segments, the spare, the lock
        Assert.InRange(Directory.GetFiles(directory, "*.wal").Length, segments, segments + 1);

        await store.CompactAsync(3000, 1);
        Assert.InRange(store.SegmentCount, 2, 4);
        Assert.InRange(Directory.GetFiles(directory, "*.wal").Length, store.SegmentCount, store.SegmentCount + 1);
        Assert.Equal(MakeEntries(3001, 4000, 1, 100), await store.ReadAsync(3001, 4001));
    }

    [Fact]
    public async Task A_torn_last_batch_is_dropped_whole_and_the_log_continues()
    {
        var directory = _root.Sub("torn");
        long lastBatchStart, lastBatchEnd;
        string path;
        await using (var store = await FileLogStore.OpenAsync(directory, Small))
        {
            await store.AppendAsync(new LogBatch(MakeEntries(1, 20, 1), new HardState(1, 1, 0)));
            lastBatchStart = store.ActiveSegment.WriteOffset;
            await store.AppendAsync(new LogBatch(MakeEntries(21, 40, 2), new HardState(2, 2, 20)));
            lastBatchEnd = store.ActiveSegment.WriteOffset;
            path = store.ActiveSegment.Path;
        }

        // The end of the batch reached the disk, its middle did not.
        Overwrite(path, lastBatchStart + 200, new byte[512]);
        await using (var store = await FileLogStore.OpenAsync(directory, Small))
        {
            Assert.Equal(20UL, store.LastIndex);
            Assert.Equal(new HardState(1, 1, 0), store.HardState);
            Assert.Equal(lastBatchStart, store.ActiveSegment.WriteOffset);
            await store.AppendAsync(new LogBatch(MakeEntries(21, 22, 3), null));
        }

        Assert.True(lastBatchEnd > lastBatchStart);
        await using (var store = await FileLogStore.OpenAsync(directory, Small))
        {
            Assert.Equal([.. MakeEntries(1, 20, 1), .. MakeEntries(21, 22, 3)], (await store.LoadAsync()).Entries);
        }
    }

    [Fact]
    public async Task Damage_before_the_tail_stops_the_store_naming_file_and_offset_until_repaired()
    {
        var directory = _root.Sub("damage");
        long secondBatch, thirdBatch;
        string path;
        await using (var store = await FileLogStore.OpenAsync(directory, Small))
        {
            await store.AppendAsync(new LogBatch(MakeEntries(1, 10, 1), new HardState(1, 1, 0)));
            secondBatch = store.ActiveSegment.WriteOffset;
            await store.AppendAsync(new LogBatch(MakeEntries(11, 20, 1), null));
            thirdBatch = store.ActiveSegment.WriteOffset;
            await store.AppendAsync(new LogBatch(MakeEntries(21, 30, 1), null));
            path = store.ActiveSegment.Path;
        }

        var recordSize = RecordFormat.EntryRecordSize(MakeEntry(1, 1));
        var damagedRecord = secondBatch + (3 * recordSize);
        FlipBit(path, damagedRecord + RecordFormat.HeaderSize + 5, 3);

        var error = await Assert.ThrowsAsync<LogCorruptedException>(async () => await FileLogStore.OpenAsync(directory, Small));
        Assert.Equal(path, error.FilePath);
        Assert.Equal(damagedRecord, error.Offset);
        Assert.Contains(path, error.Message);
        Assert.Contains($"offset {damagedRecord}", error.Message);

        // A stale or wrong instruction cuts nothing: the damage actually found is reported.
        await Assert.ThrowsAsync<LogCorruptedException>(async () => await FileLogStore.RepairAsync(directory, path, damagedRecord + 8, Small));
        await Assert.ThrowsAsync<LogCorruptedException>(async () => await FileLogStore.OpenAsync(directory, Small));

        var repair = await FileLogStore.RepairAsync(directory, error.FilePath, error.Offset, Small);
        Assert.NotNull(repair);
        Assert.Equal(secondBatch, repair.CutOffset);
        await using (var store = await FileLogStore.OpenAsync(directory, Small))
        {
            Assert.Equal(MakeEntries(1, 10, 1), (await store.LoadAsync()).Entries);
            Assert.Equal(new HardState(1, 1, 0), store.HardState);
        }

        Assert.Null(await FileLogStore.RepairAsync(directory, path, damagedRecord, Small));

        Assert.True(thirdBatch > secondBatch);
    }

    [Fact]
    public async Task Damage_in_a_sealed_segment_is_reported_even_at_its_last_record()
    {
        var directory = _root.Sub("sealed");
        string firstSegment;
        long lastRecord;
        await using (var store = await FileLogStore.OpenAsync(directory, Small))
        {
            firstSegment = store.ActiveSegment.Path;
            ulong index = 0;
            lastRecord = 0;
            while (store.ActiveSegment.Path == firstSegment)
            {
                var start = store.ActiveSegment.WriteOffset;
                await store.AppendAsync(new LogBatch(MakeEntries(index + 1, index + 1, 1, 1000), null));
                if (store.ActiveSegment.Path == firstSegment)
                {
                    lastRecord = start; // the last batch written to the first segment so far
                }

                index++;
            }
        }

        FlipBit(firstSegment, lastRecord + 40, 0);
        var error = await Assert.ThrowsAsync<LogCorruptedException>(async () => await FileLogStore.OpenAsync(directory, Small));
        Assert.Equal(firstSegment, error.FilePath);
        Assert.Equal(lastRecord, error.Offset);
    }

    [Fact]
    public async Task Damage_after_open_is_reported_by_the_read_that_meets_it()
    {
        var directory = _root.Sub("read-damage");
        await using var store = await FileLogStore.OpenAsync(directory, Small);
        await store.AppendAsync(new LogBatch(MakeEntries(1, 10, 1), null));
        var path = store.ActiveSegment.Path;
        var recordSize = RecordFormat.EntryRecordSize(MakeEntry(1, 1));
        var header = RecordFormat.RecordSize(RecordFormat.SegmentHeaderPayloadSize);
        FlipBit(path, header + (4 * recordSize) + RecordFormat.HeaderSize, 1);
        Assert.Equal(MakeEntries(1, 4, 1), await store.ReadAsync(1, 5));
        var error = await Assert.ThrowsAsync<LogCorruptedException>(async () => await store.ReadAsync(3, 8));
        Assert.Equal(header + (4 * recordSize), error.Offset);
    }

    [Fact]
    public async Task A_snapshot_ahead_of_the_log_on_a_fresh_segment_survives_reopen()
    {
        var directory = _root.Sub("ahead");
        await using (var store = await FileLogStore.OpenAsync(directory, Small))
        {
            await store.CompactAsync(1000, 9);
        }

        await using (var store = await FileLogStore.OpenAsync(directory, Small))
        {
            Assert.Equal(1000UL, store.CompactedIndex);
            Assert.Equal(1000UL, store.LastIndex);
            await store.AppendAsync(new LogBatch(MakeEntries(1001, 1001, 9), new HardState(9, 0, 1000)));
        }

        await using (var store = await FileLogStore.OpenAsync(directory, Small))
        {
            var state = await store.LoadAsync();
            Assert.Equal(9UL, state.CompactedTerm);
            Assert.Equal([MakeEntry(1001, 9)], state.Entries);
        }
    }

    [Fact]
    public async Task A_truncation_reaching_into_a_deleted_segment_replays_after_compaction()
    {
        var directory = _root.Sub("cross");
        await using (var store = await FileLogStore.OpenAsync(directory, Small))
        {
            // Two segments' worth at term 1, then a leader replaces everything after 150.
            await store.AppendAsync(new LogBatch(MakeEntries(1, 400, 1, 200), null));
            await store.AppendAsync(new LogBatch(MakeEntries(401, 420, 1, 200), null));
            await store.AppendAsync(new LogBatch(MakeEntries(151, 160, 2, 200), null));
            await store.CompactAsync(150, 1);
        }

        await using (var store = await FileLogStore.OpenAsync(directory, Small))
        {
            Assert.Equal(150UL, store.CompactedIndex);
            Assert.Equal(MakeEntries(151, 160, 2, 200), (await store.LoadAsync()).Entries);
        }
    }

    [Fact]
    public async Task A_crash_between_two_segment_deletions_replays_a_truncation_below_the_oldest_segment()
    {
        // Found by the SIGKILL test: segments 1 [1..280], 2 [281..560], 3 [561..600, then
        // 250'..260' replacing 250..600]. Compaction through 255 deletes 1 and the dead 2; a
        // crash between the two deletions leaves 2, whose entries all lie above the truncation.
        var directory = _root.Sub("half-deleted");
        string second;
        var saved = _root.Sub("segment-2.copy");
        await using (var store = await FileLogStore.OpenAsync(directory, Small))
        {
            for (ulong first = 1; first <= 600; first += 40)
            {
                await store.AppendAsync(new LogBatch(MakeEntries(first, first + 39, 1, 200), null));
            }

            Assert.Equal(3, store.SegmentCount);
            second = Directory.GetFiles(directory, "*.wal").Order().ElementAt(1);
            await store.AppendAsync(new LogBatch(MakeEntries(250, 260, 2, 200), new HardState(2, 1, 0)));
            File.Copy(second, saved);
            await store.CompactAsync(255, 2);
            Assert.Equal(1, store.SegmentCount);
        }

        File.Copy(saved, second);
        await using (var store = await FileLogStore.OpenAsync(directory, Small))
        {
            var state = await store.LoadAsync();
            Assert.Equal(255UL, state.CompactedIndex);
            Assert.Equal(MakeEntries(256, 260, 2, 200), state.Entries);
            Assert.Equal(new HardState(2, 1, 0), state.HardState);
        }
    }

    [Fact]
    public async Task A_crash_between_the_segment_deletions_of_a_log_reset_still_replays_the_reset()
    {
        // Segments 1..3 hold entries 1..600 of term 1; a snapshot at 100 of term 2 replaces the
        // log and frees every segment but the active one. A crash after deleting segment 1 leaves
        // segment 2, whose entries are not the one that disagreed and continue nothing retained.
        var directory = _root.Sub("reset-half-deleted");
        string second;
        var saved = _root.Sub("reset-segment-2.copy");
        await using (var store = await FileLogStore.OpenAsync(directory, Small))
        {
            for (ulong first = 1; first <= 600; first += 40)
            {
                await store.AppendAsync(new LogBatch(MakeEntries(first, first + 39, 1, 200), first == 1 ? new HardState(1, 1, 0) : null));
            }

            Assert.Equal(3, store.SegmentCount);
            second = Directory.GetFiles(directory, "*.wal").Order().ElementAt(1);
            File.Copy(second, saved);
            await store.CompactAsync(100, 2);
            Assert.Equal(1, store.SegmentCount);
            Assert.Equal(100UL, store.LastIndex);
        }

        File.Copy(saved, second);
        await using (var store = await FileLogStore.OpenAsync(directory, Small))
        {
            var state = await store.LoadAsync();
            Assert.Equal(100UL, state.CompactedIndex);
            Assert.Equal(2UL, state.CompactedTerm);
            Assert.Empty(state.Entries);
            Assert.Equal(new HardState(1, 1, 0), state.HardState);
            await store.AppendAsync(new LogBatch(MakeEntries(101, 110, 2, 200), new HardState(2, 2, 105)));
        }

        await using (var store = await FileLogStore.OpenAsync(directory, Small))
        {
            var state = await store.LoadAsync();
            Assert.Equal(100UL, state.CompactedIndex);
            Assert.Equal(MakeEntries(101, 110, 2, 200), state.Entries);
            Assert.Equal(new HardState(2, 2, 105), state.HardState);
        }
    }

    [Fact]
    public async Task A_batch_larger_than_a_segment_gets_a_segment_of_its_own()
    {
        var directory = _root.Sub("large");
        await using (var store = await FileLogStore.OpenAsync(directory, Small))
        {
            await store.AppendAsync(new LogBatch(MakeEntries(1, 1, 1, 10), null));
            await store.AppendAsync(new LogBatch(MakeEntries(2, 4, 1, 100_000), null));
            await store.AppendAsync(new LogBatch(MakeEntries(5, 5, 1, 10), null));
        }

        await using (var store = await FileLogStore.OpenAsync(directory, Small))
        {
            Assert.Equal(MakeEntries(2, 4, 1, 100_000), await store.ReadAsync(2, 5));
            Assert.Equal(MakeEntry(5, 1, 10), (await store.ReadAsync(5, 6))[0]);
        }
    }

    internal static void FlipBit(string path, long offset, int bit)
    {
        using var file = File.Open(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        file.Position = offset;
        var b = file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(b ^ (1 << bit)));
    }

    internal static void Overwrite(string path, long offset, byte[] bytes)
    {
        using var file = File.Open(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        file.Position = offset;
        file.Write(bytes);
    }

    private static int OpenHandlesUnder(string directory)
    {
        var count = 0;
        foreach (var fd in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith(directory, StringComparison.Ordinal))
                {
                    count++;
                }
            }
            catch (IOException)
            {
            }
        }

        return count;
    }
}
