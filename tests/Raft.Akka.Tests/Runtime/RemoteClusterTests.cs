using Akka.Actor;
using Akka.Configuration;
using Raft.Actors.Routing;
using Raft.Actors.Services;
using Raft.Akka.Serialization;

namespace Raft.Akka.Tests.Runtime;

public sealed class RemoteClusterTests
{
    [Fact(Timeout = 60_000)]
    public async Task Three_actor_systems_on_loopback_elect_and_commit()
    {
        await using var cluster = new AkkaRaftCluster();
        await cluster.StartAsync();

        for (var i = 0; i < 6; i++)
        {
            await cluster.Raft(i % 3).ServicesFor($"k{i}").Kv.PutStringAsync($"k{i}", $"v{i}");
        }

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal($"v{i}", await cluster.Raft((i + 1) % 3).ServicesFor($"k{i}").Kv.GetStringAsync($"k{i}"));
        }

        foreach (var group in cluster.Raft(0).Settings.GroupIds)
        {
            ulong[] Leaders() => [.. Enumerable.Range(0, 3).Select(n => cluster.Raft(n).Host!.GetReplica(group)!.Leader).Distinct()];
            await Eventually.TrueAsync(() => Leaders() is [>= 1 and <= 3], TimeSpan.FromSeconds(10), $"the three nodes agree on group {group}'s leader");
        }

        var ids = await cluster.Raft(2).Services(1).GetSequence("ids").NextAsync(10);
        Assert.Equal(10, ids.Count);
    }

    [Fact(Timeout = 60_000)]
    public async Task Frames_of_another_cluster_id_or_of_a_node_at_another_address_are_refused()
    {
        await using var cluster = new AkkaRaftCluster();
        await cluster.StartAsync();
        var before = cluster.Raft(0).Rejected;

        // A node that claims to be node 2 from another address, in another cluster.
        var port = AkkaRaftCluster.FreePort();
        var intruderAddress = $"akka.tcp://{cluster.SystemName}@127.0.0.1:{port}";
        var members = $"\"1\" = \"{cluster.AddressOf(0)}\"\n\"2\" = \"{intruderAddress}\"\n\"3\" = \"{cluster.AddressOf(2)}\"";
        var intruder = ActorSystem.Create(cluster.SystemName, cluster.NodeConfig(port, 2, members: members, clusterId: "other",
            overrides: $"akka.raft.data-directory = \"{Path.Combine(cluster.DataDirectory, "intruder")}\""));
        try
        {
            await RaftExtension.Get(intruder).Started.WaitAsync(TimeSpan.FromSeconds(30));
            await Eventually.TrueAsync(() => cluster.Raft(0).Rejected > before, TimeSpan.FromSeconds(20), "node 1 refuses the other cluster's frames");
        }
        finally
        {
            await intruder.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
        }

        // The same, in this cluster: its address is not node 2's.
        var port2 = AkkaRaftCluster.FreePort();
        var impostorAddress = $"akka.tcp://{cluster.SystemName}@127.0.0.1:{port2}";
        members = $"\"1\" = \"{cluster.AddressOf(0)}\"\n\"2\" = \"{impostorAddress}\"\n\"3\" = \"{cluster.AddressOf(2)}\"";
        var impostor = ActorSystem.Create(cluster.SystemName, cluster.NodeConfig(port2, 2, members: members,
            overrides: $"akka.raft.data-directory = \"{Path.Combine(cluster.DataDirectory, "impostor")}\""));
        try
        {
            var rejected = cluster.Raft(2).Rejected;
            await RaftExtension.Get(impostor).Started.WaitAsync(TimeSpan.FromSeconds(30));
            await Eventually.TrueAsync(() => cluster.Raft(2).Rejected > rejected, TimeSpan.FromSeconds(20), "node 3 refuses frames from an address that is not node 2's");
        }
        finally
        {
            await impostor.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
        }

        // A client request of another cluster is answered with a failure, not run.
        var raftActor = cluster[0].ActorSelection($"{cluster.AddressOf(1)}/system/raft");
        var request = RoutingCodec.Encode(new ReplicaRequest { Group = 1, Kind = ReplicaRequestKind.Read, Payload = new byte[] { 1 }, Timeout = TimeSpan.FromSeconds(1) });
        await Assert.ThrowsAnyAsync<Exception>(() => raftActor.Ask<RaftAnswer>(new RaftRequest("other", request), TimeSpan.FromSeconds(10)));
        var answer = await raftActor.Ask<RaftAnswer>(new RaftRequest(cluster.ClusterId, request), TimeSpan.FromSeconds(10));
        Assert.NotEqual(ReplicaAnswerStatus.NoReplica, RoutingCodec.DecodeAnswer(answer.Answer).Status);

        // The real cluster kept working.
        await cluster.Raft(0).Services(1).Kv.PutStringAsync("after", "yes");
        Assert.Equal("yes", await cluster.Raft(1).Services(1).Kv.GetStringAsync("after"));
    }

    [Theory]
    [InlineData("akka.raft.node-id = 9", "akka.raft.node-id")]
    [InlineData("akka.raft.groups = 0", "akka.raft.groups")]
    [InlineData("akka.raft.node-id = abc", "akka.raft.node-id")]
    [InlineData("akka.raft.data-directory = \"\"", "akka.raft.data-directory")]
    public async Task A_bad_setting_fails_the_extension_with_a_message_naming_it(string setting, string named)
    {
        await using var cluster = new AkkaRaftCluster(nodes: 1);
        var config = ConfigurationFactory.ParseString(setting).WithFallback(cluster.ConfigOf(0));
        var system = ActorSystem.Create(cluster.SystemName, config);
        try
        {
            var error = Assert.ThrowsAny<Exception>(() => RaftExtension.Get(system));
            var configuration = error as ConfigurationException ?? error.InnerException as ConfigurationException;
            Assert.NotNull(configuration);
            Assert.Contains(named, configuration.Message, StringComparison.Ordinal);
        }
        finally
        {
            await system.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }
}
