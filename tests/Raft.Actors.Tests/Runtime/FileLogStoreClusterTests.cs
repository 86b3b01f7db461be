using Raft.Actors.StateMachines;
using Raft.Actors.Tests.Storage;
using Xunit;

namespace Raft.Actors.Tests.Runtime;

public sealed class FileLogStoreClusterTests
{
    [Fact]
    public async Task Replicas_on_files_survive_a_stop_and_restart_of_each_replica_in_turn()
    {
        using var directory = new StorageTestDirectory("cluster");
        await using var cluster = await ReplicaCluster.StartAsync(dataDirectory: directory.Path);
        var written = 0;
        foreach (var id in cluster.Replicas.Keys.ToArray())
        {
            await cluster.StopReplicaAsync(id);
            var leader = await cluster.WaitForLeaderAsync();
            for (var i = 0; i < 10; i++, written++)
            {
                await leader.ProposeAsync(ReplicaCluster.Put($"k{written}", $"v{written}"));
            }

            await cluster.StartReplicaAsync(id);
            await cluster.WaitForLeaderAsync();
        }

        foreach (var replica in cluster.Replicas.Values)
        {
            for (var i = 0; i < written; i++)
            {
                Assert.Equal($"v{i}", KvResult.ReadValue((await replica.ReadAsync(ReplicaCluster.Get($"k{i}"))).Span));
            }
        }
    }

    [Fact]
    public async Task A_whole_cluster_restarted_from_its_directories_keeps_every_acknowledged_write()
    {
        using var directory = new StorageTestDirectory("cluster-restart");
        var ids = new ulong[] { 1, 2, 3 };
        await using (var cluster = await ReplicaCluster.StartAsync(dataDirectory: directory.Path))
        {
            var leader = await cluster.WaitForLeaderAsync();
            for (var i = 0; i < 25; i++)
            {
                await leader.ProposeAsync(ReplicaCluster.Put($"k{i}", $"v{i}"));
            }
        }

        await using var restarted = await ReplicaCluster.StartAsync(dataDirectory: directory.Path);
        var newLeader = await restarted.WaitForLeaderAsync();

        Assert.Equal(ids, restarted.Replicas.Keys.Order());
        for (var i = 0; i < 25; i++)
        {
            Assert.Equal($"v{i}", KvResult.ReadValue((await newLeader.ReadAsync(ReplicaCluster.Get($"k{i}"))).Span));
        }
    }
}
