namespace Raft.Orleans.Tests.Storage;

/// <summary>Grains with <c>[PersistentState(..., "raft")]</c> on a three-silo cluster.</summary>
[Collection(SharedClusterCollection.Name)]
public sealed class GrainStateTests(SharedCluster shared)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_grain_writes_its_state_and_a_new_activation_reads_it()
    {
        var grain = shared.Cluster.Client.GetGrain<ICounterGrain>($"counter-{Guid.NewGuid():N}");
        for (var i = 1; i <= 5; i++)
        {
            Assert.Equal(i * 10, await grain.Add(10).WaitAsync(s_timeout));
        }

        await shared.Cluster.Cluster.DeactivateAsync(grain).WaitAsync(s_timeout);
        var view = await grain.Get().WaitAsync(s_timeout);
        Assert.Equal(50, view.Value);
        Assert.True(view.RecordExists);
        Assert.NotNull(view.ETag);
    }

    [Fact]
    public async Task A_cleared_grain_state_is_gone_after_reactivation()
    {
        var grain = shared.Cluster.Client.GetGrain<ICounterGrain>($"counter-{Guid.NewGuid():N}");
        await grain.Add(7).WaitAsync(s_timeout);
        await grain.Clear().WaitAsync(s_timeout);
        await shared.Cluster.Cluster.DeactivateAsync(grain).WaitAsync(s_timeout);

        var view = await grain.Get().WaitAsync(s_timeout);
        Assert.Equal(0, view.Value);
        Assert.False(view.RecordExists);
        Assert.Equal(3, await grain.Add(3).WaitAsync(s_timeout));
    }

    [Fact]
    public async Task Many_grains_write_concurrently_and_each_keeps_its_own_state()
    {
        var grains = Enumerable.Range(0, 40).Select(i => shared.Cluster.Client.GetGrain<ICounterGrain>($"many-{Guid.NewGuid():N}-{i}")).ToArray();
        await Task.WhenAll(grains.Select(async (g, i) =>
        {
            for (var n = 0; n < 3; n++)
            {
                await g.Add(i + 1);
            }
        })).WaitAsync(TimeSpan.FromSeconds(30));

        foreach (var (grain, i) in grains.Select((g, i) => (g, i)))
        {
            await shared.Cluster.Cluster.DeactivateAsync(grain).WaitAsync(s_timeout);
            Assert.Equal(3 * (i + 1), (await grain.Get().WaitAsync(s_timeout)).Value);
        }
    }
}
