namespace Raft.Orleans.Tests.Journaling;

/// <summary>A grain whose state is a Journaling journal kept by Raft: it survives deactivation and a silo kill.</summary>
public sealed class JournaledGrainTests
{
    private static readonly TimeSpan s_call = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_journaled_grains_state_survives_deactivation_and_the_kill_of_its_silo()
    {
        await using var cluster = await RaftTestCluster.StartAsync(new RaftClusterSettings { Journaling = true });
        await cluster.WaitForLeadersAsync(TimeSpan.FromSeconds(20));
        var grains = Enumerable.Range(0, 6).Select(i => cluster.Client.GetGrain<IJournaledCounterGrain>($"journaled-{i}")).ToArray();
        foreach (var grain in grains)
        {
            // More appends than a journal keeps before it asks to be compacted into one snapshot.
            for (var n = 1; n <= 40; n++)
            {
                Assert.Equal(n, await grain.Add(1).WaitAsync(s_call));
            }

            await grain.Deactivate().WaitAsync(s_call);
        }

        foreach (var grain in grains)
        {
            Assert.Equal(40, await grain.Get().WaitAsync(s_call));
        }

        // Kill a silo (not the primary, which holds the test cluster's membership table) that hosts some of the grains.
        var hosts = await Task.WhenAll(grains.Select(g => g.SiloName().WaitAsync(s_call)));
        var victim = cluster.Silos.Where(s => s.Name != "Silo_0").OrderByDescending(s => hosts.Count(h => h == s.Name)).First();
        await cluster.KillAsync(victim);

        for (var i = 0; i < grains.Length; i++)
        {
            // Reads only until the grain answers again (its silo may be declared dead meanwhile),
            // so a retried call cannot have added anything.
            var value = 0;
            await Poll.UntilAsync(
                async () =>
                {
                    try
                    {
                        value = await grains[i].Get().WaitAsync(s_call);
                        return true;
                    }
                    catch (Exception)
                    {
                        return false;
                    }
                },
                TimeSpan.FromSeconds(60),
                $"grain {i} answers after {victim.Name} was killed");
            Assert.Equal(40, value);
            Assert.Equal(41, await grains[i].Add(1).WaitAsync(s_call));
            Assert.NotEqual(victim.Name, await grains[i].SiloName().WaitAsync(s_call));
        }
    }
}
