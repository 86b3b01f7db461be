using Orleans.Configuration;
using Orleans.TestingHost;
using Raft.Orleans.Membership;

namespace Raft.Orleans.Tests.Membership;

/// <summary>Groups follow the Orleans cluster: silos join as learners and are promoted; dead silos are replaced.</summary>
public sealed class AutomaticMembershipTests
{
    private const int Factor = RaftOptions.DefaultReplicationFactor;
    private static readonly TimeSpan s_call = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_fourth_silo_joins_groups_as_a_learner_then_a_voter_and_every_group_keeps_the_factor()
    {
        await using var cluster = await RaftTestCluster.StartAsync(new RaftClusterSettings { Membership = RaftMembershipMode.Automatic });
        await cluster.WaitForLeadersAsync(TimeSpan.FromSeconds(20));
        var grains = Enumerable.Range(0, 12).Select(i => cluster.Client.GetGrain<ICounterGrain>($"join-{i}")).ToArray();
        foreach (var grain in grains)
        {
            await grain.Add(1).WaitAsync(s_call);
            await grain.Add(1).WaitAsync(s_call);
        }

        var joiner = await cluster.StartAdditionalSiloAsync();
        var node = RaftTestCluster.RaftOf(joiner).NodeId;
        using var stop = new CancellationTokenSource();
        var seen = new Dictionary<ulong, List<string>>();
        var watcher = Task.Run(() => WatchRoleAsync(cluster, joiner, node, seen, stop.Token));

        await Poll.UntilAsync(() => SettledAsync(cluster, Factor), TimeSpan.FromSeconds(60), $"every group has {Factor} voters on running silos, {joiner.Name} included where placed");
        await stop.CancelAsync();
        await watcher;

        var nodes = cluster.Silos.Select(s => RaftTestCluster.RaftOf(s).NodeId).ToArray();
        var plan = ReplicaPlacement.Plan(cluster.AllGroups, nodes, Factor);
        var joined = cluster.AllGroups.Where(g => plan[g].Contains(node)).ToArray();
        Assert.NotEmpty(joined);
        foreach (var group in cluster.AllGroups)
        {
            var conf = (await cluster.LeaderOf(group)!.GetStatusAsync()).Configuration;
            Assert.Equal(plan[group], conf.Voters.ToArray());
        }

        foreach (var group in joined)
        {
            // Seen as a learner before it was seen as a voter, never the other way round.
            var states = seen.GetValueOrDefault(group) ?? [];
            Assert.True(states.IndexOf("learner") >= 0 && states.IndexOf("learner") < states.IndexOf("voter"), $"group {group}: {joiner.Name} was seen as [{string.Join(", ", states)}]");
        }

        // Each founder gave up the groups the joiner took: it stopped its replica, dropped the
        // group from its shared log and deleted the group's directory.
        var founders = nodes.Where(n => n != node).ToArray();
        var founding = ReplicaPlacement.Plan(cluster.AllGroups, founders, Factor);
        Assert.Contains(cluster.AllGroups, g => founding[g].Except(plan[g]).Any());
        await Poll.UntilAsync(() => cluster.Silos.All(s => HoldsExactlyItsPlannedGroups(cluster, s, plan)), TimeSpan.FromSeconds(30), "every silo holds replicas, directories and shared-log groups of exactly its planned groups");

        var cap = ((cluster.AllGroups.Count * Factor) + nodes.Length - 1) / nodes.Length;
        Assert.All(nodes, n => Assert.InRange(cluster.AllGroups.Count(g => plan[g].Contains(n)), 1, cap + 1));
        foreach (var grain in grains)
        {
            Assert.Equal(2, (await grain.Get().WaitAsync(s_call)).Value);
        }

        var fromJoiner = cluster.StorageOn(joiner);
        foreach (var grain in grains)
        {
            var stored = new GrainState<CounterState>();
            await fromJoiner.ReadStateAsync("counter", grain.GetGrainId(), stored).WaitAsync(s_call);
            Assert.Equal(2, stored.State!.Value);
        }
    }

    [Fact]
    public async Task A_silo_dead_past_the_grace_period_is_replaced_on_the_others_and_no_acknowledged_write_is_lost()
    {
        await using var cluster = await RaftTestCluster.StartAsync(new RaftClusterSettings { Silos = 4, Membership = RaftMembershipMode.Automatic, DeadSiloGracePeriod = TimeSpan.FromSeconds(1) });
        await cluster.WaitForLeadersAsync(TimeSpan.FromSeconds(20));
        await Poll.UntilAsync(() => SettledAsync(cluster, Factor), TimeSpan.FromSeconds(30), "the founding placement holds");

        const int grainCount = 12;
        var grains = Enumerable.Range(0, grainCount).Select(i => cluster.Client.GetGrain<ICounterGrain>($"replace-{i}")).ToArray();
        await using var writers = new CounterWriters(grains, s_call);
        await writers.AcknowledgedAsync(2, TimeSpan.FromSeconds(30), "every grain had two writes acknowledged");

        // The silo with the most replicas, other than the primary silo of the test cluster.
        var victim = cluster.Silos.Where(s => s.Name != "Silo_0")
            .OrderByDescending(s => RaftTestCluster.RaftOf(s).Host!.GroupCount).First();
        var victimNode = RaftTestCluster.RaftOf(victim).NodeId;
        var hosted = cluster.AllGroups.Where(g => RaftTestCluster.RaftOf(victim).Host!.GetReplica(g) is not null).ToArray();
        var before = writers.Acknowledged;
        await cluster.KillAsync(victim);

        await Poll.UntilAsync(() => SettledAsync(cluster, Factor), TimeSpan.FromSeconds(60), $"every group {victim.Name} was in has {Factor} voters on the running silos again");
        await writers.AcknowledgedAsync(2, TimeSpan.FromSeconds(30), "every grain had two more writes acknowledged", since: before);
        await writers.StopAsync();
        var (acknowledged, attempts) = (writers.Acknowledged, writers.Attempts);

        Assert.NotEmpty(hosted);
        foreach (var group in cluster.AllGroups)
        {
            var conf = (await cluster.LeaderOf(group)!.GetStatusAsync()).Configuration;
            Assert.DoesNotContain(victimNode, conf.Members());
        }

        var storage = cluster.StorageOn(cluster.Silos.First());
        for (var i = 0; i < grainCount; i++)
        {
            var stored = new GrainState<CounterState>();
            await storage.ReadStateAsync("counter", grains[i].GetGrainId(), stored).WaitAsync(s_call);
            Assert.InRange(stored.State!.Value, acknowledged[i], attempts[i]);
        }
    }

    /// <summary>The silo runs a replica, has a group directory and holds shared-log records of each group planned on it, and of no other.</summary>
    private static bool HoldsExactlyItsPlannedGroups(RaftTestCluster cluster, InProcessSiloHandle silo, IReadOnlyDictionary<ulong, ulong[]> plan)
    {
        var raft = RaftTestCluster.RaftOf(silo);
        if (raft.Host is not { SharedLog: { } log } host)
        {
            return false;
        }

        var planned = cluster.AllGroups.Where(g => plan[g].Contains(raft.NodeId)).ToArray();
        return log.GroupCount == planned.Length &&
            cluster.AllGroups.All(g =>
                (host.GetReplica(g) is not null) == planned.Contains(g) &&
                Directory.Exists(Path.Combine(cluster.DataDirectory, silo.Name, $"group-{g}")) == planned.Contains(g));
    }

    /// <summary>
    /// True when every group has one leader, exactly the voters <see cref="ReplicaPlacement"/> plans
    /// over the running silos (min(factor, running silos) of them), no learner and no joint change;
    /// every voter has a replica; and no running silo outside the group still hosts one.
    /// </summary>
    private static async Task<bool> SettledAsync(RaftTestCluster cluster, int factor)
    {
        var hosts = cluster.Silos.ToDictionary(s => RaftTestCluster.RaftOf(s).NodeId, s => RaftTestCluster.RaftOf(s).Host);
        var plan = ReplicaPlacement.Plan(cluster.AllGroups, hosts.Keys, factor);
        foreach (var group in cluster.AllGroups)
        {
            if (cluster.LeaderOf(group) is not { } leader)
            {
                return false;
            }

            var conf = (await leader.GetStatusAsync()).Configuration;
            if (conf.IsJoint || conf.Learners.Length > 0 || conf.Voters.Length != Math.Min(factor, hosts.Count) || !conf.Voters.SequenceEqual(plan[group]))
            {
                return false;
            }

            if (hosts.Any(h => (h.Value?.GetReplica(group) is not null) != conf.Voters.Contains(h.Key)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Records, per group, each change of the joiner's standing in the configuration its own replica holds.</summary>
    private static async Task WatchRoleAsync(RaftTestCluster cluster, InProcessSiloHandle joiner, ulong node, Dictionary<ulong, List<string>> seen, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            foreach (var group in cluster.AllGroups)
            {
                if (RaftTestCluster.RaftOf(joiner).Host?.GetReplica(group) is not { } replica)
                {
                    continue;
                }

                try
                {
                    var conf = (await replica.GetStatusAsync(stop)).Configuration;
                    var state = conf.Voters.Contains(node) ? "voter" : conf.Learners.Contains(node) ? "learner" : null;
                    if (state is not null)
                    {
                        var states = seen.TryGetValue(group, out var list) ? list : seen[group] = [];
                        if (states.Count == 0 || states[^1] != state)
                        {
                            states.Add(state);
                        }
                    }
                }
                catch (Exception) when (!stop.IsCancellationRequested)
                {
                    // The replica stopped or is busy; look again.
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            await Task.Delay(5, CancellationToken.None);
        }
    }
}
