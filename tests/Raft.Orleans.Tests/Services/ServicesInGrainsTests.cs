namespace Raft.Orleans.Tests.Services;

[Collection(SharedClusterCollection.Name)]
public sealed class ServicesInGrainsTests(SharedCluster shared)
{
    private static readonly TimeSpan s_call = TimeSpan.FromSeconds(10);

    private IServicesGrain Grain(string name) => shared.Cluster.Client.GetGrain<IServicesGrain>($"{name}-{Guid.NewGuid():N}");

    [Fact]
    public async Task A_value_put_by_one_grain_is_read_by_another()
    {
        var key = $"kv-{Guid.NewGuid():N}";
        await Grain("writer").Put(key, "hello").WaitAsync(s_call);

        Assert.Equal("hello", await Grain("reader").Get(key).WaitAsync(s_call));
        Assert.Null(await Grain("reader").Get($"{key}-absent").WaitAsync(s_call));
    }

    [Fact]
    public async Task A_lock_is_held_by_one_grain_at_a_time_and_a_takeover_fences_the_former_holder_out()
    {
        var name = $"lock-{Guid.NewGuid():N}";
        var first = Grain("first");
        var second = Grain("second");

        var firstToken = await first.TryLock(name).WaitAsync(s_call);
        Assert.NotNull(firstToken);
        Assert.Null(await second.TryLock(name).WaitAsync(s_call));
        Assert.True(await first.PutFenced($"{name}/data", "from first", name, firstToken.Value).WaitAsync(s_call));

        Assert.True(await first.Unlock(name).WaitAsync(s_call));
        var secondToken = await second.TryLock(name).WaitAsync(s_call);
        Assert.NotNull(secondToken);
        Assert.True(secondToken > firstToken);

        Assert.False(await first.PutFenced($"{name}/data", "stale", name, firstToken.Value).WaitAsync(s_call));
        Assert.True(await second.PutFenced($"{name}/data", "from second", name, secondToken.Value).WaitAsync(s_call));
        Assert.Equal("from second", await first.Get($"{name}/data").WaitAsync(s_call));
    }

    [Fact]
    public async Task Sequence_ranges_taken_concurrently_by_grains_never_overlap()
    {
        const long step = 3;
        var sequence = $"seq-{Guid.NewGuid():N}";
        var taken = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Grain($"taker{i}").TakeRanges(sequence, 10, step))).WaitAsync(TimeSpan.FromSeconds(30));

        var starts = taken.SelectMany(s => s).Order().ToArray();
        Assert.Equal(40, starts.Length);
        for (var i = 1; i < starts.Length; i++)
        {
            Assert.True(starts[i] >= starts[i - 1] + step, $"ranges starting at {starts[i - 1]} and {starts[i]} overlap");
        }
    }
}
