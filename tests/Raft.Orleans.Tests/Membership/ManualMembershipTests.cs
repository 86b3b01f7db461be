using Raft.Actors.Protocol;

namespace Raft.Orleans.Tests.Membership;

[Collection(SharedClusterCollection.Name)]
public sealed class ManualMembershipTests(SharedCluster shared)
{
    [Fact]
    public async Task In_manual_mode_a_new_silo_hosts_no_replica_and_no_group_changes()
    {
        var cluster = shared.Cluster;
        await cluster.WaitForLeadersAsync(TimeSpan.FromSeconds(20));
        var before = await ConfigurationsAsync(cluster);
        var extra = await cluster.StartAdditionalSiloAsync();
        try
        {
            // The new silo reaches the groups as a client does...
            var grain = cluster.Client.GetGrain<ICounterGrain>($"manual-{Guid.NewGuid():N}").GetGrainId();
            var state = new GrainState<CounterState>(new CounterState { Value = 5 });
            await cluster.StorageOn(extra).WriteStateAsync("counter", grain, state).WaitAsync(TimeSpan.FromSeconds(10));

            // ...and automatic membership, had it been on, would have acted within a few reviews of
            // 300 ms (it adds a learner in the first review after a silo becomes active). Absence can
            // only be observed over a window: this one is several reviews long.
            await Task.Delay(TimeSpan.FromSeconds(1.5));

            Assert.Equal(0, RaftTestCluster.RaftOf(extra).Host!.GroupCount);
            Assert.Equal(before, await ConfigurationsAsync(cluster));
        }
        finally
        {
            await cluster.Cluster.StopSiloAsync(extra);
        }
    }

    private static async Task<Dictionary<ulong, ConfState>> ConfigurationsAsync(RaftTestCluster cluster)
    {
        var configurations = new Dictionary<ulong, ConfState>();
        foreach (var group in cluster.AllGroups)
        {
            // An election may be under way on a loaded machine: wait for the group's leader.
            Actors.Runtime.RaftReplica? leader = null;
            await Poll.UntilAsync(() => (leader = cluster.LeaderOf(group)) is not null, TimeSpan.FromSeconds(15), $"a leader of group {group}");
            configurations[group] = (await leader!.GetStatusAsync()).Configuration;
        }

        return configurations;
    }
}
