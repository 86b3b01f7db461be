using Raft.Actors.Storage;

namespace Raft.Orleans.Tests.Runtime;

/// <summary>A silo is killed while grains write, and later restarted from its data directory.</summary>
public sealed class SiloFailureTests
{
    private const int Grains = 24;
    private static readonly TimeSpan s_call = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_silo_killed_during_writes_loses_no_acknowledged_write_and_catches_up_when_restarted()
    {
        await using var cluster = await RaftTestCluster.StartAsync();
        await cluster.WaitForLeadersAsync(TimeSpan.FromSeconds(20));
        var grains = Enumerable.Range(0, Grains).Select(i => cluster.Client.GetGrain<ICounterGrain>($"kill-{i}")).ToArray();
        await using var writers = new CounterWriters(grains, s_call);
        await writers.AcknowledgedAsync(3, TimeSpan.FromSeconds(30), "every grain had three writes acknowledged");
        var victim = cluster.Silos.Single(s => s.Name == Names(cluster)[Leader(cluster, 1)]);
        var hosted = await Task.WhenAll(grains.Select(g => g.SiloName().WaitAsync(s_call)));
        var before = writers.Acknowledged;
        await cluster.KillAsync(victim);

        await writers.AcknowledgedAsync(3, TimeSpan.FromSeconds(40), $"every grain had three more writes acknowledged after {victim.Name} was killed", since: before);
        await writers.StopAsync();
        var (acknowledged, attempts) = (writers.Acknowledged, writers.Attempts);
        Assert.Contains(victim.Name, hosted);

        var storage = cluster.StorageOn(cluster.Silos.First());
        for (var i = 0; i < Grains; i++)
        {
            var view = await grains[i].Get().WaitAsync(s_call);
            Assert.InRange(view.Value, acknowledged[i], attempts[i]);
            Assert.NotEqual(victim.Name, await grains[i].SiloName().WaitAsync(s_call));
            var stored = new GrainState<CounterState>();
            await storage.ReadStateAsync("counter", grains[i].GetGrainId(), stored).WaitAsync(s_call);
            Assert.Equal(view.Value, stored.State!.Value);
        }

        await cluster.WaitForLeadersAsync(TimeSpan.FromSeconds(20));
        var applied = Enumerable.Range(1, RaftTestCluster.Groups).ToDictionary(g => (ulong)g, g => cluster.LeaderOf((ulong)g)!.AppliedIndex);

        // What the killed silo left on disk: one shared log with every group's log in it, a commit
        // index for each (the groups keep only their snapshots in directories of their own).
        await using (var log = await SharedLog.OpenAsync(Path.Combine(cluster.DataDirectory, victim.Name, "log")))
        {
            Assert.Equal(RaftTestCluster.Groups, log.GroupCount);
            for (ulong g = 1; g <= RaftTestCluster.Groups; g++)
            {
                await using var group = log.OpenGroup(g);
                var state = await group.LoadAsync();
                Assert.True(state.HardState.Commit > 0, $"group {g} has no commit index in the shared log");
                Assert.False(Directory.Exists(Path.Combine(cluster.DataDirectory, victim.Name, $"group-{g}", "log")));
            }
        }

        var restarted = await cluster.RestartAsync(victim.Name);
        var raft = RaftTestCluster.RaftOf(restarted);

        Assert.Equal(Path.Combine(cluster.DataDirectory, victim.Name, "log"), raft.Host!.SharedLog!.Directory);
        await Poll.UntilAsync(
            () => raft.Host is { } host && applied.All(a => host.GetReplica(a.Key)?.AppliedIndex >= a.Value),
            TimeSpan.FromSeconds(30),
            $"{victim.Name}'s replicas reached the applied index their leaders had before it restarted");

        var fromRestarted = cluster.StorageOn(restarted);
        for (var i = 0; i < Grains; i++)
        {
            var stored = new GrainState<CounterState>();
            await fromRestarted.ReadStateAsync("counter", grains[i].GetGrainId(), stored).WaitAsync(s_call);
            Assert.InRange(stored.State!.Value, acknowledged[i], attempts[i]);
        }
    }

    private static Dictionary<ulong, string> Names(RaftTestCluster cluster) =>
        cluster.Silos.ToDictionary(s => RaftTestCluster.RaftOf(s).NodeId, s => s.Name);

    private static ulong Leader(RaftTestCluster cluster, ulong group) =>
        cluster.LeaderOf(group)?.NodeId ?? throw new InvalidOperationException($"Group {group} has no agreed leader.");
}
