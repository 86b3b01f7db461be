using Raft.Actors.Protocol;
using Raft.Actors.Storage;
using Xunit;

namespace Raft.Actors.Testing.Conformance;

/// <summary>
/// The behaviour every <see cref="ILogStore"/> must show, as xunit facts. Derive a test class,
/// say how to create an empty store and how to reopen one, and the facts run against it:
/// <code>
/// public sealed class MyStoreConformance : LogStoreConformance
/// {
///     protected override ValueTask&lt;ILogStore&gt; CreateStoreAsync() => ...;
///     protected override bool SupportsReopen => true;
///     protected override ValueTask&lt;ILogStore&gt; ReopenStoreAsync(ILogStore store) => ...; // dispose, open again
/// }
/// </code>
/// </summary>
/// <remarks>
/// "Reopen" means: the process stopped (cleanly or by a crash, since a store must not depend on
/// a clean shutdown) and the store was opened again on the same data. A store that cannot be
/// reopened (<see cref="InMemoryLogStore"/>) leaves <see cref="SupportsReopen"/> false and
/// <see cref="ReopenStoreAsync"/> as is; the kit then checks the same facts on the running
/// instance. Crashes that tear a write in half are
/// store specific and are tested next to each store.
/// </remarks>
public abstract class LogStoreConformance : IAsyncLifetime
{
    private readonly List<ILogStore> _opened = [];

    /// <summary>True when <see cref="ReopenStoreAsync"/> really closes the store and opens its data again.</summary>
    protected virtual bool SupportsReopen => false;

    /// <summary>Creates an empty store, private to the calling test.</summary>
    protected abstract ValueTask<ILogStore> CreateStoreAsync();

    /// <summary>
    /// Simulates a stop and restart: releases <paramref name="store"/> and opens its data again.
    /// The default returns the same instance (for stores whose durability is the instance's life).
    /// </summary>
    protected virtual ValueTask<ILogStore> ReopenStoreAsync(ILogStore store) => ValueTask.FromResult(store);

    /// <summary>
    /// Simulates a crash (the process dies without closing anything) and a restart. The default
    /// is <see cref="ReopenStoreAsync"/>, right for a store that flushes nothing on dispose;
    /// override it when closing does work a crash would skip.
    /// </summary>
    protected virtual ValueTask<ILogStore> CrashStoreAsync(ILogStore store) => ReopenStoreAsync(store);

    /// <summary>Runs after every test; delete files here.</summary>
    protected virtual Task CleanupAsync() => Task.CompletedTask;

    /// <inheritdoc />
    public Task InitializeAsync() => Task.CompletedTask;

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        foreach (var store in _opened)
        {
            await store.DisposeAsync();
        }

        await CleanupAsync();
    }

    /// <summary>A deterministic entry: the payload is a function of index and term.</summary>
    public static Entry MakeEntry(ulong index, ulong term, int size = 24, EntryType type = EntryType.Normal, ulong clientId = 0, ulong sequence = 0)
    {
        var data = new byte[size];
        var x = (index * 0x9E37_79B9_7F4A_7C15UL) ^ (term * 0xC2B2_AE3D_27D4_EB4FUL);
        for (var i = 0; i < size; i++)
        {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            data[i] = (byte)x;
        }

        return new Entry { Index = index, Term = term, Type = type, ClientId = clientId, Sequence = sequence, Data = data };
    }

    /// <summary>Entries <paramref name="from"/>..<paramref name="to"/> (inclusive), all of <paramref name="term"/>.</summary>
    public static Entry[] MakeEntries(ulong from, ulong to, ulong term, int size = 24)
    {
        var entries = new Entry[(int)(to - from + 1)];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = MakeEntry(from + (ulong)i, term, size);
        }

        return entries;
    }

    /// <summary>New store is empty.</summary>
    [Fact]
    public async Task New_store_is_empty()
    {
        var store = await CreateAsync();
        Assert.Equal(1UL, store.FirstIndex);
        Assert.Equal(0UL, store.LastIndex);
        Assert.Equal(0UL, store.CompactedIndex);
        Assert.True(store.TryGetTerm(0, out var term));
        Assert.Equal(0UL, term);
        Assert.False(store.TryGetTerm(1, out _));
        var state = await store.LoadAsync();
        Assert.True(state.HardState.IsEmpty);
        Assert.Equal(0UL, state.CompactedIndex);
        Assert.Empty(state.Entries);
        Assert.Empty(await store.ReadAsync(1, 1));
    }

    /// <summary>Appended entries are read back intact.</summary>
    [Fact]
    public async Task Appended_entries_are_read_back_intact()
    {
        var store = await CreateAsync();
        Entry[] entries =
        [
            MakeEntry(1, 1, 0),
            MakeEntry(2, 1, 100, EntryType.ConfChange),
            MakeEntry(3, 2, 7, clientId: 42, sequence: 9),
            MakeEntry(4, 2, 4096),
            MakeEntry(5, 3, 1, clientId: ulong.MaxValue, sequence: ulong.MaxValue),
        ];
        await store.AppendAsync(new LogBatch(entries, null));
        Assert.Equal(5UL, store.LastIndex);
        Assert.Equal(entries, await store.ReadAsync(1, 6));
        Assert.Equal(entries[1..4], await store.ReadAsync(2, 5));
        store = await ReopenAsync(store);
        Assert.Equal(entries, (await store.LoadAsync()).Entries);
        Assert.True((await store.ReadAsync(1, 6))[2].ClientId == 42);
    }

    /// <summary>Batches extend the log in order.</summary>
    [Fact]
    public async Task Batches_extend_the_log_in_order()
    {
        var store = await CreateAsync();
        for (ulong i = 0; i < 20; i++)
        {
            await store.AppendAsync(new LogBatch(MakeEntries((i * 10) + 1, (i * 10) + 10, (i / 5) + 1), null));
        }

        Assert.Equal(200UL, store.LastIndex);
        var all = await store.ReadAsync(1, 201);
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(MakeEntry((ulong)i + 1, ((ulong)i / 50) + 1), all[i]);
        }
    }

    /// <summary>Read returns exactly the requested range and rejects what is not retained.</summary>
    [Fact]
    public async Task Read_returns_exactly_the_requested_range_and_rejects_what_is_not_retained()
    {
        var store = await CreateAsync();
        await store.AppendAsync(new LogBatch(MakeEntries(1, 10, 1), null));
        Assert.Equal([3UL, 4UL, 5UL], (await store.ReadAsync(3, 6)).Select(e => e.Index));
        Assert.Empty(await store.ReadAsync(4, 4));
        Assert.Single(await store.ReadAsync(10, 11));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.ReadAsync(0, 2));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.ReadAsync(5, 12));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.ReadAsync(6, 5));
        await store.CompactAsync(4, 1);
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.ReadAsync(4, 6));
        Assert.Equal(5UL, (await store.ReadAsync(5, 6))[0].Index);
    }

    /// <summary>Term lookup covers retained entries and the compaction point.</summary>
    [Fact]
    public async Task Term_lookup_covers_retained_entries_and_the_compaction_point()
    {
        var store = await CreateAsync();
        await store.AppendAsync(new LogBatch([.. MakeEntries(1, 3, 1), .. MakeEntries(4, 6, 3), .. MakeEntries(7, 7, 8)], null));
        ulong[] expected = [0, 1, 1, 1, 3, 3, 3, 8];
        for (ulong i = 0; i <= 7; i++)
        {
            Assert.True(store.TryGetTerm(i, out var term), $"term of {i}");
            Assert.Equal(expected[i], term);
        }

        Assert.False(store.TryGetTerm(8, out _));
        await store.CompactAsync(4, 3);
        Assert.False(store.TryGetTerm(3, out _));
        Assert.True(store.TryGetTerm(4, out var atSnapshot));
        Assert.Equal(3UL, atSnapshot);
        Assert.True(store.TryGetTerm(7, out var lastTerm));
        Assert.Equal(8UL, lastTerm);
        store = await ReopenAsync(store);
        Assert.True(store.TryGetTerm(4, out atSnapshot));
        Assert.Equal(3UL, atSnapshot);
        Assert.True(store.TryGetTerm(6, out var middle));
        Assert.Equal(3UL, middle);
    }

    /// <summary>A batch starting inside the log replaces the conflicting suffix.</summary>
    [Fact]
    public async Task A_batch_starting_inside_the_log_replaces_the_conflicting_suffix()
    {
        var store = await CreateAsync();
        await store.AppendAsync(new LogBatch(MakeEntries(1, 10, 1), null));
        await store.AppendAsync(new LogBatch(MakeEntries(6, 7, 2), null));
        Assert.Equal(7UL, store.LastIndex);
        Assert.Equal([.. MakeEntries(1, 5, 1), .. MakeEntries(6, 7, 2)], await store.ReadAsync(1, 8));
        Assert.True(store.TryGetTerm(7, out var term));
        Assert.Equal(2UL, term);
        Assert.False(store.TryGetTerm(8, out _));
        store = await ReopenAsync(store);
        Assert.Equal(7UL, store.LastIndex);
        Assert.Equal([.. MakeEntries(1, 5, 1), .. MakeEntries(6, 7, 2)], (await store.LoadAsync()).Entries);
    }

    /// <summary>A truncation may replace the whole retained log.</summary>
    [Fact]
    public async Task A_truncation_may_replace_the_whole_retained_log()
    {
        var store = await CreateAsync();
        await store.AppendAsync(new LogBatch(MakeEntries(1, 10, 1), null));
        await store.CompactAsync(3, 1);
        await store.AppendAsync(new LogBatch(MakeEntries(4, 5, 4), null));
        Assert.Equal(MakeEntries(4, 5, 4), await store.ReadAsync(4, 6));
        store = await ReopenAsync(store);
        Assert.Equal(3UL, store.CompactedIndex);
        Assert.Equal(5UL, store.LastIndex);
        Assert.Equal(MakeEntries(4, 5, 4), (await store.LoadAsync()).Entries);
    }

    /// <summary>A truncation that shortens the log forgets every later entry.</summary>
    [Fact]
    public async Task A_truncation_that_shortens_the_log_forgets_every_later_entry()
    {
        var store = await CreateAsync();
        await store.AppendAsync(new LogBatch(MakeEntries(1, 100, 1), null));
        await store.AppendAsync(new LogBatch(MakeEntries(20, 20, 2), null));
        await store.AppendAsync(new LogBatch(MakeEntries(21, 22, 2), null));
        Assert.Equal(22UL, store.LastIndex);
        Assert.False(store.TryGetTerm(23, out _));
        store = await ReopenAsync(store);
        Assert.Equal(22UL, store.LastIndex);
        Assert.Equal([.. MakeEntries(1, 19, 1), .. MakeEntries(20, 22, 2)], (await store.LoadAsync()).Entries);
    }

    /// <summary>Invalid batches are rejected and change nothing.</summary>
    [Fact]
    public async Task Invalid_batches_are_rejected_and_change_nothing()
    {
        var store = await CreateAsync();
        await store.AppendAsync(new LogBatch(MakeEntries(1, 10, 2), new HardState(2, 1, 3)));
        await store.CompactAsync(2, 2);
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.AppendAsync(new LogBatch(MakeEntries(12, 12, 2), new HardState(9, 9, 9))));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.AppendAsync(new LogBatch(MakeEntries(2, 3, 2), null)));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.AppendAsync(new LogBatch([MakeEntry(11, 2), MakeEntry(13, 2)], null)));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.AppendAsync(new LogBatch([MakeEntry(11, 3), MakeEntry(12, 2)], null)));
        Assert.Equal(10UL, store.LastIndex);
        Assert.Equal(2UL, store.CompactedIndex);
        store = await ReopenAsync(store);
        var state = await store.LoadAsync();
        Assert.Equal(new HardState(2, 1, 3), state.HardState);
        Assert.Equal(MakeEntries(3, 10, 2), state.Entries);
    }

    /// <summary>Compaction drops the prefix and keeps the rest.</summary>
    [Fact]
    public async Task Compaction_drops_the_prefix_and_keeps_the_rest()
    {
        var store = await CreateAsync();
        await store.AppendAsync(new LogBatch(MakeEntries(1, 50, 1), null));
        await store.AppendAsync(new LogBatch(MakeEntries(51, 100, 2), null));
        await store.CompactAsync(60, 2);
        Assert.Equal(60UL, store.CompactedIndex);
        Assert.Equal(61UL, store.FirstIndex);
        Assert.Equal(100UL, store.LastIndex);
        Assert.Equal(MakeEntries(61, 100, 2), await store.ReadAsync(61, 101));
        await store.AppendAsync(new LogBatch(MakeEntries(101, 101, 3), null));
        store = await ReopenAsync(store);
        var state = await store.LoadAsync();
        Assert.Equal(60UL, state.CompactedIndex);
        Assert.Equal(2UL, state.CompactedTerm);
        Assert.Equal([.. MakeEntries(61, 100, 2), MakeEntry(101, 3)], state.Entries);
    }

    /// <summary>Compaction at or below the compaction point changes nothing.</summary>
    [Fact]
    public async Task Compaction_at_or_below_the_compaction_point_changes_nothing()
    {
        var store = await CreateAsync();
        await store.AppendAsync(new LogBatch(MakeEntries(1, 10, 1), null));
        await store.CompactAsync(5, 1);
        await store.CompactAsync(5, 1);
        await store.CompactAsync(3, 1);
        Assert.Equal(5UL, store.CompactedIndex);
        Assert.True(store.TryGetTerm(5, out var term));
        Assert.Equal(1UL, term);
        Assert.Equal(MakeEntries(6, 10, 1), await store.ReadAsync(6, 11));
    }

    /// <summary>Compaction ahead of the log empties it and continues after the snapshot.</summary>
    [Fact]
    public async Task Compaction_ahead_of_the_log_empties_it_and_continues_after_the_snapshot()
    {
        var store = await CreateAsync();
        await store.AppendAsync(new LogBatch(MakeEntries(1, 10, 1), null));
        await store.CompactAsync(25, 4);
        Assert.Equal(25UL, store.CompactedIndex);
        Assert.Equal(25UL, store.LastIndex);
        Assert.Equal(26UL, store.FirstIndex);
        Assert.True(store.TryGetTerm(25, out var term));
        Assert.Equal(4UL, term);
        Assert.False(store.TryGetTerm(10, out _));
        Assert.Empty((await store.LoadAsync()).Entries);
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.AppendAsync(new LogBatch(MakeEntries(11, 11, 4), null)));
        store = await ReopenAsync(store);
        Assert.Equal(25UL, store.LastIndex);
        Assert.Equal(25UL, store.CompactedIndex);
        await store.AppendAsync(new LogBatch(MakeEntries(26, 27, 5), null));
        store = await ReopenAsync(store);
        var state = await store.LoadAsync();
        Assert.Equal(25UL, state.CompactedIndex);
        Assert.Equal(4UL, state.CompactedTerm);
        Assert.Equal(MakeEntries(26, 27, 5), state.Entries);
    }

    /// <summary>Compaction of exactly the whole log leaves it empty.</summary>
    [Fact]
    public async Task Compaction_of_exactly_the_whole_log_leaves_it_empty()
    {
        var store = await CreateAsync();
        await store.AppendAsync(new LogBatch(MakeEntries(1, 10, 1), null));
        await store.CompactAsync(10, 1);
        Assert.Equal(10UL, store.LastIndex);
        Assert.Empty((await store.LoadAsync()).Entries);
        store = await ReopenAsync(store);
        Assert.Equal(10UL, store.LastIndex);
        Assert.Equal(11UL, store.FirstIndex);
    }

    /// <summary>
    /// Compaction through an entry whose term matches the snapshot's keeps the entries after it
    /// (Raft §7: they may be entries the snapshot does not cover yet).
    /// </summary>
    [Fact]
    public async Task Compaction_through_an_entry_of_the_snapshots_term_keeps_the_entries_after_it()
    {
        var store = await CreateAsync();
        await store.AppendAsync(new LogBatch([.. MakeEntries(1, 10, 1), .. MakeEntries(11, 30, 2)], new HardState(2, 1, 15)));
        await store.CompactAsync(20, 2);
        Assert.Equal(20UL, store.CompactedIndex);
        Assert.Equal(30UL, store.LastIndex);
        Assert.Equal(MakeEntries(21, 30, 2), await store.ReadAsync(21, 31));
        store = await ReopenAsync(store);
        var state = await store.LoadAsync();
        Assert.Equal(20UL, state.CompactedIndex);
        Assert.Equal(2UL, state.CompactedTerm);
        Assert.Equal(MakeEntries(21, 30, 2), state.Entries);
    }

    /// <summary>
    /// Compaction through an entry of another term than the snapshot's drops every retained
    /// entry, also those after it: they came from another history (Raft §7) and must not come
    /// back after a restart. The log continues after the snapshot.
    /// </summary>
    [Fact]
    public async Task Compaction_through_an_entry_of_another_term_drops_every_retained_entry()
    {
        var store = await CreateAsync();
        await store.AppendAsync(new LogBatch([.. MakeEntries(1, 10, 1), .. MakeEntries(11, 30, 2)], new HardState(2, 1, 10)));
        await store.CompactAsync(20, 3);
        Assert.Equal(20UL, store.CompactedIndex);
        Assert.Equal(20UL, store.LastIndex);
        Assert.Equal(21UL, store.FirstIndex);
        Assert.True(store.TryGetTerm(20, out var term));
        Assert.Equal(3UL, term);
        Assert.False(store.TryGetTerm(21, out _));
        Assert.Empty((await store.LoadAsync()).Entries);
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.ReadAsync(21, 22));

        store = await ReopenAsync(store);
        var reopened = await store.LoadAsync();
        Assert.Equal(20UL, reopened.CompactedIndex);
        Assert.Equal(3UL, reopened.CompactedTerm);
        Assert.Empty(reopened.Entries);
        Assert.Equal(new HardState(2, 1, 10), reopened.HardState);
        Assert.Equal(20UL, store.LastIndex);

        await store.AppendAsync(new LogBatch(MakeEntries(21, 22, 3), new HardState(3, 2, 22)));
        store = await ReopenAsync(store);
        var state = await store.LoadAsync();
        Assert.Equal(20UL, state.CompactedIndex);
        Assert.Equal(MakeEntries(21, 22, 3), state.Entries);
        Assert.Equal(new HardState(3, 2, 22), state.HardState);
    }

    /// <summary>
    /// A log replaced by a snapshot through an entry of another term stays replaced after a
    /// crash right after, also when the entry that disagreed was in a part of the log the store
    /// has since freed (a segment deleted).
    /// </summary>
    [Fact]
    public async Task A_log_replaced_by_a_snapshot_stays_replaced_after_a_crash()
    {
        var store = await CreateAsync();
        for (ulong first = 1; first <= 400; first += 40)
        {
            await store.AppendAsync(new LogBatch(MakeEntries(first, first + 39, 1, 512), first == 1 ? new HardState(1, 1, 0) : null));
        }

        await store.CompactAsync(50, 2);
        store = await CrashAsync(store);
        var state = await store.LoadAsync();
        Assert.Equal(50UL, state.CompactedIndex);
        Assert.Equal(2UL, state.CompactedTerm);
        Assert.Empty(state.Entries);
        Assert.Equal(new HardState(1, 1, 0), state.HardState);
        Assert.Equal(51UL, store.FirstIndex);

        await store.AppendAsync(new LogBatch(MakeEntries(51, 60, 2, 512), null));
        store = await CrashAsync(store);
        Assert.Equal(MakeEntries(51, 60, 2, 512), (await store.LoadAsync()).Entries);
        Assert.Equal(50UL, store.CompactedIndex);
    }

    /// <summary>Hard state is stored with or without entries.</summary>
    [Fact]
    public async Task Hard_state_is_stored_with_or_without_entries()
    {
        var store = await CreateAsync();
        await store.AppendAsync(new LogBatch([], new HardState(1, 2, 0)));
        store = await ReopenAsync(store);
        Assert.Equal(new HardState(1, 2, 0), (await store.LoadAsync()).HardState);
        await store.AppendAsync(new LogBatch(MakeEntries(1, 3, 1), new HardState(1, 2, 3)));
        await store.AppendAsync(new LogBatch(MakeEntries(4, 4, 1), null));
        store = await ReopenAsync(store);
        var state = await store.LoadAsync();
        Assert.Equal(new HardState(1, 2, 3), state.HardState);
        Assert.Equal(4, state.Entries.Count);
        await store.AppendAsync(new LogBatch([], new HardState(ulong.MaxValue, ulong.MaxValue - 1, 4)));
        store = await ReopenAsync(store);
        Assert.Equal(new HardState(ulong.MaxValue, ulong.MaxValue - 1, 4), (await store.LoadAsync()).HardState);
    }

    /// <summary>Hard state survives compaction of the entries it was written with.</summary>
    [Fact]
    public async Task Hard_state_survives_compaction_of_the_entries_it_was_written_with()
    {
        var store = await CreateAsync();
        await store.AppendAsync(new LogBatch(MakeEntries(1, 200, 1, 512), new HardState(7, 3, 150)));
        for (ulong i = 201; i <= 600; i += 100)
        {
            await store.AppendAsync(new LogBatch(MakeEntries(i, i + 99, 7, 512), null));
        }

        await store.CompactAsync(550, 7);
        store = await ReopenAsync(store);
        var state = await store.LoadAsync();
        Assert.Equal(new HardState(7, 3, 150), state.HardState);
        Assert.Equal(MakeEntries(551, 600, 7, 512), state.Entries);
    }

    /// <summary>An empty batch changes nothing.</summary>
    [Fact]
    public async Task An_empty_batch_changes_nothing()
    {
        var store = await CreateAsync();
        await store.AppendAsync(new LogBatch(MakeEntries(1, 2, 1), new HardState(1, 1, 1)));
        await store.AppendAsync(new LogBatch([], null));
        store = await ReopenAsync(store);
        var state = await store.LoadAsync();
        Assert.Equal(new HardState(1, 1, 1), state.HardState);
        Assert.Equal(2, state.Entries.Count);
    }

    /// <summary>A cancelled append writes nothing.</summary>
    [Fact]
    public async Task A_cancelled_append_writes_nothing()
    {
        var store = await CreateAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.AppendAsync(new LogBatch(MakeEntries(1, 1, 1), null), cancelled.Token));
        Assert.Equal(0UL, store.LastIndex);
    }

    /// <summary>Every acknowledged write survives a crash, whatever was written before it.</summary>
    [Fact]
    public async Task Every_acknowledged_write_survives_a_crash()
    {
        var store = await CreateAsync();
        await store.AppendAsync(new LogBatch(MakeEntries(1, 30, 1), new HardState(1, 1, 0)));
        await store.AppendAsync(new LogBatch(MakeEntries(31, 31, 1), null));
        await store.AppendAsync(new LogBatch([], new HardState(2, 3, 31)));
        await store.AppendAsync(new LogBatch(MakeEntries(25, 26, 2), null));
        await store.CompactAsync(10, 1);
        store = await CrashAsync(store);
        var state = await store.LoadAsync();
        Assert.Equal(new HardState(2, 3, 31), state.HardState);
        Assert.Equal(10UL, state.CompactedIndex);
        Assert.Equal(1UL, state.CompactedTerm);
        Assert.Equal([.. MakeEntries(11, 24, 1), .. MakeEntries(25, 26, 2)], state.Entries);
    }

    /// <summary>A rejected batch leaves no trace, even after a crash.</summary>
    [Fact]
    public async Task A_rejected_batch_leaves_no_trace_after_a_crash()
    {
        var store = await CreateAsync();
        await store.AppendAsync(new LogBatch(MakeEntries(1, 5, 1), new HardState(1, 1, 0)));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.AppendAsync(new LogBatch(MakeEntries(7, 8, 1), new HardState(5, 5, 5))));
        store = await CrashAsync(store);
        var state = await store.LoadAsync();
        Assert.Equal(new HardState(1, 1, 0), state.HardState);
        Assert.Equal(MakeEntries(1, 5, 1), state.Entries);
        await store.AppendAsync(new LogBatch(MakeEntries(6, 6, 1), null));
        Assert.Equal(6UL, store.LastIndex);
    }

    /// <summary>Reopen after every kind of write restores the same log.</summary>
    [Fact]
    public async Task Reopen_after_every_kind_of_write_restores_the_same_log()
    {
        var store = await CreateAsync();
        var model = new InMemoryLogStore();
        var random = new Random(20261125);
        ulong term = 1;
        for (var step = 0; step < 300; step++)
        {
            var last = model.LastIndex;
            var roll = random.Next(100);
            try
            {
                if (roll < 55 || last == model.CompactedIndex)
                {
                    var count = random.Next(1, 40);
                    var batch = new LogBatch(MakeEntries(last + 1, last + (ulong)count, term, random.Next(0, 600)), random.Next(3) == 0 ? new HardState(term, 1, last) : null);
                    await Both(s => s.AppendAsync(batch));
                }
                else if (roll < 70)
                {
                    term++;
                    var from = model.CompactedIndex + 1 + (ulong)random.NextInt64((long)(last - model.CompactedIndex));
                    var batch = new LogBatch(MakeEntries(from, from + (ulong)random.Next(0, 10), term, random.Next(0, 300)), null);
                    await Both(s => s.AppendAsync(batch));
                }
                else if (roll < 80)
                {
                    // Mostly a snapshot of this log; sometimes one ahead of it, or one of another
                    // history (a later term at its index), which replaces the whole log.
                    var through = model.CompactedIndex + 1 + (ulong)random.NextInt64((long)(last - model.CompactedIndex + (ulong)(random.Next(4) == 0 ? 20 : 0)));
                    var throughTerm = model.TryGetTerm(through, out var t) ? t : term;
                    if (random.Next(4) == 0)
                    {
                        throughTerm = ++term;
                    }

                    await Both(s => s.CompactAsync(through, throughTerm));
                }
                else if (roll < 85)
                {
                    var batch = new LogBatch([], new HardState(term, (ulong)random.Next(1, 4), model.LastIndex));
                    await Both(s => s.AppendAsync(batch));
                }
                else
                {
                    store = await ReopenAsync(store);
                }
            }
            catch (Exception ex)
            {
                throw new Xunit.Sdk.XunitException($"Step {step} (roll {roll}) failed: {ex}");
            }

            await AssertSameAsync(model, store, $"after step {step}");
        }

        async Task Both(Func<ILogStore, ValueTask> operation)
        {
            await operation(model);
            await operation(store);
        }
    }

    /// <summary>Creates a store and registers it for disposal after the test.</summary>
    protected async ValueTask<ILogStore> CreateAsync()
    {
        var store = await CreateStoreAsync();
        _opened.Add(store);
        return store;
    }

    /// <summary>Reopens through <see cref="ReopenStoreAsync"/> and registers the result for disposal.</summary>
    protected ValueTask<ILogStore> ReopenAsync(ILogStore store) => TrackAsync(store, ReopenStoreAsync(store));

    /// <summary>Crashes and reopens through <see cref="CrashStoreAsync"/> and registers the result for disposal.</summary>
    protected ValueTask<ILogStore> CrashAsync(ILogStore store) => TrackAsync(store, CrashStoreAsync(store));

    private async ValueTask<ILogStore> TrackAsync(ILogStore store, ValueTask<ILogStore> reopening)
    {
        var reopened = await reopening;
        if (!ReferenceEquals(reopened, store))
        {
            Assert.True(SupportsReopen, "ReopenStoreAsync returned a new instance, but SupportsReopen is false.");
            _opened.Add(reopened);
        }

        return reopened;
    }

    private static async Task AssertSameAsync(ILogStore expected, ILogStore actual, string when)
    {
        Assert.True(expected.LastIndex == actual.LastIndex, $"LastIndex {actual.LastIndex}, expected {expected.LastIndex} {when}");
        Assert.True(expected.CompactedIndex == actual.CompactedIndex, $"CompactedIndex {actual.CompactedIndex}, expected {expected.CompactedIndex} {when}");
        Assert.Equal(expected.FirstIndex, actual.FirstIndex);
        var e = await expected.LoadAsync();
        var a = await actual.LoadAsync();
        Assert.Equal(e.HardState, a.HardState);
        Assert.Equal(e.CompactedTerm, a.CompactedTerm);
        Assert.True(e.Entries.SequenceEqual(a.Entries), $"entries differ {when}");
        for (var i = expected.CompactedIndex; i <= expected.LastIndex + 1; i++)
        {
            Assert.Equal(expected.TryGetTerm(i, out var te), actual.TryGetTerm(i, out var ta));
            Assert.Equal(te, ta);
        }
    }
}
