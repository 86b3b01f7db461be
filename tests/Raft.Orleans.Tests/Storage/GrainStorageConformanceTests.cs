using Orleans.Storage;

namespace Raft.Orleans.Tests.Storage;

/// <summary>
/// The IGrainStorage contract as grains rely on it, run against the Raft storage of a
/// three-silo cluster (each test on its own grain id, so they do not interfere).
/// </summary>
[Collection(SharedClusterCollection.Name)]
public sealed class GrainStorageConformanceTests(SharedCluster shared)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    private IGrainStorage Storage => shared.Cluster.StorageOn(shared.Cluster.Silos.First());

    [Fact]
    public async Task Reading_state_never_written_gives_a_fresh_state_no_etag_and_no_record()
    {
        var state = new GrainState<Account>();
        await Storage.ReadStateAsync("account", NewGrain(), state).WaitAsync(s_timeout);
        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.NotNull(state.State);
        Assert.Equal(0, state.State!.Balance);
    }

    [Fact]
    public async Task Written_state_reads_back_with_the_same_etag_from_every_silo()
    {
        var grain = NewGrain();
        var written = new GrainState<Account>(new Account { Balance = 42, Owner = "ada" });
        await Storage.WriteStateAsync("account", grain, written).WaitAsync(s_timeout);
        Assert.True(written.RecordExists);
        Assert.NotNull(written.ETag);

        foreach (var silo in shared.Cluster.Silos)
        {
            var read = new GrainState<Account>();
            await shared.Cluster.StorageOn(silo).ReadStateAsync("account", grain, read).WaitAsync(s_timeout);
            Assert.True(read.RecordExists);
            Assert.Equal(written.ETag, read.ETag);
            Assert.Equal(42, read.State!.Balance);
            Assert.Equal("ada", read.State!.Owner);
        }
    }

    [Fact]
    public async Task Every_write_changes_the_etag()
    {
        var grain = NewGrain();
        var state = new GrainState<Account>(new Account());
        var etags = new List<string?>();
        for (var i = 0; i < 3; i++)
        {
            state.State!.Balance = i;
            await Storage.WriteStateAsync("account", grain, state).WaitAsync(s_timeout);
            etags.Add(state.ETag);
        }

        Assert.Equal(3, etags.Distinct().Count());
        Assert.DoesNotContain(null, etags);
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_is_rejected_and_changes_nothing()
    {
        var grain = NewGrain();
        var first = new GrainState<Account>(new Account { Balance = 1 });
        await Storage.WriteStateAsync("account", grain, first).WaitAsync(s_timeout);
        var stale = new GrainState<Account>(new Account { Balance = 99 }) { ETag = first.ETag };
        first.State!.Balance = 2;
        await Storage.WriteStateAsync("account", grain, first).WaitAsync(s_timeout);

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync("account", grain, stale).WaitAsync(s_timeout));
        Assert.Equal(first.ETag, error.StoredEtag);
        var read = new GrainState<Account>();
        await Storage.ReadStateAsync("account", grain, read).WaitAsync(s_timeout);
        Assert.Equal(2, read.State!.Balance);
    }

    [Fact]
    public async Task A_first_write_without_an_etag_is_rejected_once_the_state_exists()
    {
        var grain = NewGrain();
        await Storage.WriteStateAsync("account", grain, new GrainState<Account>(new Account { Balance = 1 })).WaitAsync(s_timeout);
        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync("account", grain, new GrainState<Account>(new Account { Balance = 2 })).WaitAsync(s_timeout));
    }

    [Fact]
    public async Task Cleared_state_reads_as_absent_and_can_be_written_again_with_the_etag_the_clear_returned()
    {
        var grain = NewGrain();
        var state = new GrainState<Account>(new Account { Balance = 5 });
        await Storage.WriteStateAsync("account", grain, state).WaitAsync(s_timeout);
        var written = state.ETag;
        await Storage.ClearStateAsync("account", grain, state).WaitAsync(s_timeout);
        Assert.False(state.RecordExists);
        Assert.NotEqual(written, state.ETag);
        Assert.Equal(0, state.State!.Balance);

        var read = new GrainState<Account>();
        await Storage.ReadStateAsync("account", grain, read).WaitAsync(s_timeout);
        Assert.False(read.RecordExists);
        Assert.Equal(0, read.State!.Balance);
        Assert.Equal(state.ETag, read.ETag);

        read.State!.Balance = 7;
        await Storage.WriteStateAsync("account", grain, read).WaitAsync(s_timeout);
        Assert.True(read.RecordExists);
    }

    [Fact]
    public async Task A_clear_with_a_stale_etag_is_rejected_and_keeps_the_state()
    {
        var grain = NewGrain();
        var state = new GrainState<Account>(new Account { Balance = 3 });
        await Storage.WriteStateAsync("account", grain, state).WaitAsync(s_timeout);
        var stale = new GrainState<Account>(new Account()) { ETag = state.ETag };
        await Storage.WriteStateAsync("account", grain, state).WaitAsync(s_timeout);

        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.ClearStateAsync("account", grain, stale).WaitAsync(s_timeout));
        var read = new GrainState<Account>();
        await Storage.ReadStateAsync("account", grain, read).WaitAsync(s_timeout);
        Assert.True(read.RecordExists);
        Assert.Equal(3, read.State!.Balance);
    }

    [Fact]
    public async Task An_etag_from_before_a_clear_never_matches_a_later_write()
    {
        var grain = NewGrain();
        var state = new GrainState<Account>(new Account { Balance = 1 });
        await Storage.WriteStateAsync("account", grain, state).WaitAsync(s_timeout);
        var beforeClear = state.ETag;
        await Storage.ClearStateAsync("account", grain, state).WaitAsync(s_timeout);
        await Storage.WriteStateAsync("account", grain, state).WaitAsync(s_timeout);

        var stale = new GrainState<Account>(new Account { Balance = 9 }) { ETag = beforeClear };
        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync("account", grain, stale).WaitAsync(s_timeout));
    }

    [Fact]
    public async Task States_of_one_grain_with_different_names_are_independent()
    {
        var grain = NewGrain();
        await Storage.WriteStateAsync("a", grain, new GrainState<Account>(new Account { Balance = 1 })).WaitAsync(s_timeout);
        var other = new GrainState<Account>();
        await Storage.ReadStateAsync("b", grain, other).WaitAsync(s_timeout);
        Assert.False(other.RecordExists);
    }

    private static GrainId NewGrain() => GrainId.Create("conformance", Guid.NewGuid().ToString("N"));
}

[GenerateSerializer]
public sealed class Account
{
    [Id(0)] public int Balance { get; set; }

    [Id(1)] public string? Owner { get; set; }
}
