using Raft.Actors.Protocol;
using Raft.Actors.Storage;
using Xunit;
using static Raft.Actors.Testing.Conformance.LogStoreConformance;

namespace Raft.Actors.Tests.Storage;

/// <summary>What the shared log adds to one store: coalesced writes, groups kept apart, space reclaimed.</summary>
public sealed class SharedLogTests : IAsyncLifetime
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);
    private readonly StorageTestDirectory _root = new("shared");
    private readonly List<SharedLog> _opened = [];

    private string Directory => _root.Sub("log");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var log in _opened)
        {
            await log.DisposeAsync();
        }

        _root.Dispose();
    }

    [Fact]
    public async Task Appends_of_many_groups_waiting_for_one_write_share_the_next_sync_and_complete_only_after_it()
    {
        var log = await OpenAsync();
        var stores = Enumerable.Range(1, 100).Select(g => log.OpenGroup((ulong)g)).ToArray();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        log.BeforeWrite = () => new ValueTask(release.Task);
        var before = log.SyncCount;

        // The first append becomes the writer and waits in the hook holding only itself; the
        // other 99 queue behind it.
        var appends = stores.Select((s, i) => s.AppendAsync(new LogBatch(MakeEntries(1, 3, 1), new HardState(1, (ulong)i, 0))).AsTask()).ToArray();
        Assert.All(appends, a => Assert.False(a.IsCompleted));
        Assert.Equal(before, log.SyncCount);

        release.SetResult();
        await Task.WhenAll(appends).WaitAsync(s_timeout);
        Assert.Equal(before + 2, log.SyncCount); // the writer's own append, then the 99 together

        log = await ReopenAsync(log);
        for (var g = 1; g <= 100; g++)
        {
            var state = await log.OpenGroup((ulong)g).LoadAsync();
            Assert.Equal(MakeEntries(1, 3, 1), state.Entries);
            Assert.Equal(new HardState(1, (ulong)g - 1, 0), state.HardState);
        }
    }

    [Fact]
    public async Task A_torn_coalesced_write_is_dropped_whole_for_every_group_it_carried()
    {
        var log = await OpenAsync();
        var stores = Enumerable.Range(1, 3).Select(g => log.OpenGroup((ulong)g)).ToArray();
        foreach (var store in stores)
        {
            await store.AppendAsync(new LogBatch(MakeEntries(1, 5, 1), new HardState(1, 1, 0)));
        }

        // One write carrying three groups' appends (held back until all three are queued).
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = 0;
        log.BeforeWrite = () => Interlocked.Increment(ref held) == 1 ? new ValueTask(release.Task) : ValueTask.CompletedTask;
        var blocker = stores[0].AppendAsync(new LogBatch(MakeEntries(6, 6, 1), null)).AsTask();
        var start = log.ActiveSegment.WriteOffset;
        var coalesced = stores.Skip(1).Select(s => s.AppendAsync(new LogBatch(MakeEntries(6, 20, 2, 300), new HardState(2, 2, 5))).AsTask()).ToArray();
        release.SetResult();
        await Task.WhenAll([blocker, .. coalesced]).WaitAsync(s_timeout);
        var segment = log.ActiveSegment;
        var afterFirst = start + RecordFormat.RecordSize(0) + RecordFormat.EntryRecordSize(MakeEntry(6, 1));
        var end = segment.WriteOffset;
        Assert.True(end > afterFirst + 1000, "the two appends were written after the blocker's");
        await log.DisposeAsync();

        // The second half of the coalesced write never reached the disk.
        using (var file = File.OpenHandle(segment.Path, FileMode.Open, FileAccess.Write))
        {
            var middle = (afterFirst + end) / 2;
            RandomAccess.Write(file, new byte[end - middle], middle);
        }

        log = await OpenAsync();
        var first = await log.OpenGroup(1).LoadAsync();
        Assert.Equal(MakeEntries(1, 6, 1), first.Entries);
        foreach (var group in new ulong[] { 2, 3 })
        {
            var state = await log.OpenGroup(group).LoadAsync();
            Assert.Equal(MakeEntries(1, 5, 1), state.Entries);
            Assert.Equal(new HardState(1, 1, 0), state.HardState);
        }
    }

    [Fact]
    public async Task Damage_followed_by_intact_writes_is_reported_and_can_be_cut_there()
    {
        var log = await OpenAsync();
        for (ulong round = 0; round < 5; round++)
        {
            for (ulong group = 1; group <= 3; group++)
            {
                await log.OpenGroupOnce(group).AppendAsync(new LogBatch(MakeEntries((round * 4) + 1, (round * 4) + 4, 1, 64), null));
            }
        }

        var path = log.ActiveSegment.Path;
        await log.DisposeAsync();
        _opened.Remove(log);

        // Damage the first entry of the second write (group 2's first append).
        var firstBatch = RecordFormat.RecordSize(0) + (4 * RecordFormat.EntryRecordSize(MakeEntry(1, 1, 64)));
        var secondBatch = RecordFormat.RecordSize(RecordFormat.SegmentHeaderPayloadSize) + firstBatch;
        var damaged = secondBatch + RecordFormat.RecordSize(0);
        FlipBit(path, damaged + RecordFormat.HeaderSize + 5);
        var error = await Assert.ThrowsAsync<LogCorruptedException>(async () => await SharedLog.OpenAsync(Directory));
        Assert.Equal(path, error.FilePath);
        Assert.Equal(damaged, error.Offset);

        var repair = await SharedLog.RepairAsync(Directory, error.FilePath, error.Offset);
        Assert.Equal(secondBatch, repair!.CutOffset);
        log = await OpenAsync();
        Assert.Equal(MakeEntries(1, 4, 1, 64), (await log.OpenGroup(1).LoadAsync()).Entries);
        Assert.Equal(0UL, log.OpenGroup(2).LastIndex);
        Assert.Equal(0UL, log.OpenGroup(3).LastIndex);
    }

    [Fact]
    public async Task Compacting_or_resetting_one_group_leaves_the_others_untouched()
    {
        var log = await OpenAsync();
        var a = log.OpenGroup(1);
        var b = log.OpenGroup(2);
        await a.AppendAsync(new LogBatch(MakeEntries(1, 50, 1), new HardState(1, 1, 40)));
        await b.AppendAsync(new LogBatch(MakeEntries(1, 50, 1), new HardState(1, 2, 40)));
        await a.CompactAsync(30, 1);
        Assert.Equal(0UL, b.CompactedIndex);
        Assert.Equal(MakeEntries(1, 50, 1), (await b.LoadAsync()).Entries);
        await b.CompactAsync(40, 9); // another history: b's log is replaced
        Assert.Equal(MakeEntries(31, 50, 1), (await a.LoadAsync()).Entries);

        log = await ReopenAsync(log);
        a = log.OpenGroup(1);
        b = log.OpenGroup(2);
        var stateA = await a.LoadAsync();
        Assert.Equal(30UL, stateA.CompactedIndex);
        Assert.Equal(MakeEntries(31, 50, 1), stateA.Entries);
        Assert.Equal(new HardState(1, 1, 40), stateA.HardState);
        var stateB = await b.LoadAsync();
        Assert.Equal(40UL, stateB.CompactedIndex);
        Assert.Equal(9UL, stateB.CompactedTerm);
        Assert.Empty(stateB.Entries);
        Assert.Equal(new HardState(1, 2, 40), stateB.HardState);
        Assert.Equal(stateA.DiskId, stateB.DiskId);
        Assert.NotEqual(0UL, stateA.DiskId);
    }

    [Fact]
    public async Task Random_operations_on_many_groups_match_one_model_per_group_across_reopens()
    {
        var seed = Random.Shared.Next();
        var random = new Random(seed);
        var log = await OpenAsync();
        const int groups = 8;
        var models = Enumerable.Range(0, groups).Select(_ => new InMemoryLogStore()).ToArray();
        var terms = Enumerable.Repeat(1UL, groups).ToArray();
        for (var step = 0; step < 600; step++)
        {
            var g = random.Next(groups);
            var model = models[g];
            var store = log.OpenGroupOnce((ulong)g + 1);
            var last = model.LastIndex;
            var roll = random.Next(100);
            try
            {
                if (roll < 60 || last == model.CompactedIndex)
                {
                    var batch = new LogBatch(MakeEntries(last + 1, last + (ulong)random.Next(1, 30), terms[g], random.Next(0, 700)), random.Next(3) == 0 ? new HardState(terms[g], 1, last) : null);
                    await model.AppendAsync(batch);
                    await store.AppendAsync(batch);
                }
                else if (roll < 72)
                {
                    var from = model.CompactedIndex + 1 + (ulong)random.NextInt64((long)(last - model.CompactedIndex));
                    var batch = new LogBatch(MakeEntries(from, from + (ulong)random.Next(0, 8), ++terms[g], random.Next(0, 300)), null);
                    await model.AppendAsync(batch);
                    await store.AppendAsync(batch);
                }
                else if (roll < 85)
                {
                    var through = model.CompactedIndex + 1 + (ulong)random.NextInt64((long)(last - model.CompactedIndex + (ulong)(random.Next(5) == 0 ? 10 : 0)));
                    var term = model.TryGetTerm(through, out var t) ? t : terms[g];
                    if (random.Next(5) == 0)
                    {
                        term = ++terms[g];
                    }

                    await model.CompactAsync(through, term);
                    await store.CompactAsync(through, term);
                }
                else if (roll < 94)
                {
                    continue;
                }
                else if (roll < 97)
                {
                    await log.CloseGroupOnceAsync((ulong)g + 1);
                    await log.DropGroupAsync((ulong)g + 1);
                    models[g] = new InMemoryLogStore();
                    terms[g] = 1;
                }
                else
                {
                    log = await ReopenAsync(log);
                }

                for (var other = 0; other < groups; other++)
                {
                    await AssertSameAsync(models[other], log.OpenGroupOnce((ulong)other + 1), $"seed {seed}, step {step}, group {other + 1}");
                }
            }
            catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
            {
                throw new Xunit.Sdk.XunitException($"seed {seed}, step {step} (group {g + 1}, roll {roll}) failed: {ex}");
            }
        }
    }

    [Fact]
    public async Task Old_segments_are_deleted_once_no_group_needs_them_even_with_idle_groups()
    {
        var log = await OpenAsync();
        var idle = Enumerable.Range(2, 20).Select(g => log.OpenGroup((ulong)g)).ToArray();
        foreach (var store in idle)
        {
            await store.AppendAsync(new LogBatch(MakeEntries(1, 3, 1, 50), new HardState(1, 2, 3)));
        }

        var busy = log.OpenGroup(1);
        var busyModel = new InMemoryLogStore();
        ulong next = 1;
        var maxSegments = 0;
        while (next < 3000)
        {
            var batch = new LogBatch(MakeEntries(next, next + 19, 1, 500), null);
            await busy.AppendAsync(batch);
            await busyModel.AppendAsync(batch);
            next += 20;
            await busy.CompactAsync(next - 10, 1);
            await busyModel.CompactAsync(next - 10, 1);
            maxSegments = Math.Max(maxSegments, log.SegmentCount);
        }

        // 1.5 MB went through 64 KiB segments; the idle groups' few records were rewritten forward.
        Assert.True(maxSegments <= 3, $"up to {maxSegments} segments were in use");
        log = await ReopenAsync(log);
        for (ulong g = 2; g <= 21; g++)
        {
            var state = await log.OpenGroup(g).LoadAsync();
            Assert.Equal(MakeEntries(1, 3, 1, 50), state.Entries);
            Assert.Equal(new HardState(1, 2, 3), state.HardState);
        }

        await AssertSameAsync(busyModel, log.OpenGroup(1), "busy group after reopen");
    }

    [Fact]
    public async Task A_group_too_large_to_rewrite_pins_the_oldest_segment_until_it_compacts()
    {
        var log = await OpenAsync();
        var large = log.OpenGroup(9);
        await large.AppendAsync(new LogBatch(MakeEntries(1, 40, 1, 500), null)); // 20 KB > 64 KiB / 16
        var busy = log.OpenGroup(1);
        for (ulong next = 1; next < 1000; next += 20)
        {
            await busy.AppendAsync(new LogBatch(MakeEntries(next, next + 19, 1, 500), null));
            await busy.CompactAsync(next + 19, 1);
        }

        Assert.True(log.SegmentCount > 4, $"{log.SegmentCount} segments");
        Assert.Equal(9UL, log.OldestSegmentPinnedBy);

        await large.CompactAsync(40, 1);
        Assert.True(log.SegmentCount <= 2, $"{log.SegmentCount} segments after the pinning group compacted");
        log = await ReopenAsync(log);
        Assert.Equal(40UL, log.OpenGroup(9).CompactedIndex);
        Assert.Equal(1000UL, log.OpenGroup(1).CompactedIndex);
    }

    [Fact]
    public async Task A_dropped_group_holds_nothing_after_a_reopen_and_no_longer_pins_segments()
    {
        var log = await OpenAsync();
        var dropped = log.OpenGroup(9);
        await dropped.AppendAsync(new LogBatch(MakeEntries(1, 40, 1, 500), new HardState(1, 9, 40))); // too large to rewrite forward
        var busy = log.OpenGroup(1);
        for (ulong next = 1; next < 1000; next += 20)
        {
            await busy.AppendAsync(new LogBatch(MakeEntries(next, next + 19, 1, 500), null));
            await busy.CompactAsync(next + 19, 1);
        }

        Assert.Equal(9UL, log.OldestSegmentPinnedBy);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await log.DropGroupAsync(9));

        await dropped.DisposeAsync();
        await log.DropGroupAsync(9);

        Assert.Equal(1, log.GroupCount);
        Assert.True(log.SegmentCount <= 2, $"{log.SegmentCount} segments after the pinning group was dropped");
        log = await ReopenAsync(log);
        Assert.Equal(1, log.GroupCount);
        Assert.Equal(1000UL, log.OpenGroup(1).CompactedIndex);
        var reopened = log.OpenGroup(9);
        var state = await reopened.LoadAsync();
        Assert.Empty(state.Entries);
        Assert.Equal(default, state.HardState);
        Assert.Equal(0UL, state.CompactedIndex);

        // The id is free again: what is written after the drop is kept.
        await reopened.AppendAsync(new LogBatch(MakeEntries(1, 2, 3), null));
        log = await ReopenAsync(log);
        Assert.Equal(MakeEntries(1, 2, 3), (await log.OpenGroup(9).LoadAsync()).Entries);
        await log.DropGroupAsync(12); // never written: nothing to do
        Assert.Equal(2, log.GroupCount);
    }

    [Fact]
    public async Task A_single_group_log_is_not_taken_for_a_shared_one()
    {
        await using (var single = await FileLogStore.OpenAsync(Directory))
        {
            await single.AppendAsync(new LogBatch(MakeEntries(1, 3, 1), null));
        }

        await Assert.ThrowsAsync<LogCorruptedException>(async () => await SharedLog.OpenAsync(Directory));
    }

    [Fact]
    public async Task A_group_has_one_view_at_a_time()
    {
        var log = await OpenAsync();
        var view = log.OpenGroup(5);
        Assert.Throws<InvalidOperationException>(() => log.OpenGroup(5));
        await view.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await view.AppendAsync(new LogBatch(MakeEntries(1, 1, 1), null)));
        await log.OpenGroup(5).AppendAsync(new LogBatch(MakeEntries(1, 1, 1), null));
    }

    private static void FlipBit(string path, long offset)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        var b = new byte[1];
        RandomAccess.Read(file, b, offset);
        b[0] ^= 0x08;
        RandomAccess.Write(file, b, offset);
    }

    private static async Task AssertSameAsync(ILogStore expected, ILogStore actual, string when)
    {
        var e = await expected.LoadAsync();
        var a = await actual.LoadAsync();
        Assert.True(e.CompactedIndex == a.CompactedIndex && e.CompactedTerm == a.CompactedTerm, $"compacted {a.CompactedIndex}@{a.CompactedTerm}, expected {e.CompactedIndex}@{e.CompactedTerm} ({when})");
        Assert.True(e.HardState == a.HardState, $"hard state {a.HardState}, expected {e.HardState} ({when})");
        Assert.True(e.Entries.SequenceEqual(a.Entries), $"entries ({a.Entries.Count}) differ from the model's ({e.Entries.Count}) ({when})");
        Assert.Equal(expected.LastIndex, actual.LastIndex);
    }

    private async Task<SharedLog> OpenAsync()
    {
        var log = await SharedLog.OpenAsync(Directory, FileLogStoreConformanceTests.SmallSegments);
        _opened.Add(log);
        return log;
    }

    private async Task<SharedLog> ReopenAsync(SharedLog log)
    {
        _opened.Remove(log);
        await log.DisposeAsync();
        return await OpenAsync();
    }
}

/// <summary>Test shorthand: a group's view, opened on first use and reused after.</summary>
internal static class SharedLogTestExtensions
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SharedLog, Dictionary<ulong, ILogStore>> s_views = [];

    public static ILogStore OpenGroupOnce(this SharedLog log, ulong group)
    {
        var views = s_views.GetOrCreateValue(log);
        if (!views.TryGetValue(group, out var view))
        {
            view = log.OpenGroup(group);
            views[group] = view;
        }

        return view;
    }

    public static async Task CloseGroupOnceAsync(this SharedLog log, ulong group)
    {
        if (s_views.GetOrCreateValue(log).Remove(group, out var view))
        {
            await view.DisposeAsync();
        }
    }
}
