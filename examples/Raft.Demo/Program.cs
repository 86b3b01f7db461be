using System.Diagnostics;
using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Runtime;
using Raft.Actors.StateMachines;
using Raft.Actors.Storage;

// Three replicas of one Raft group in this process, each with its own write-ahead log on disk
// (FileLogStore, fdatasync'ed before anything is acknowledged). We write, stop the leader, let
// the others elect a new one, write more, restart the old leader from its directory, and check
// with linearizable reads that every acknowledged write is there. Exit code 0 only if it held.
var dataRoot = Path.Combine(Path.GetTempPath(), $"raft-demo-{Environment.ProcessId}");
var network = new InMemoryNetwork();
var members = ConfState.OfVoters(1, 2, 3);
var replicas = new Dictionary<ulong, RaftReplica>();
foreach (var id in members.Voters)
{
    replicas[id] = await StartReplicaAsync(id);
}

Console.WriteLine($"Started 3 replicas (data under {dataRoot}).");
var clock = Stopwatch.StartNew();
var leader = await WaitForLeaderAsync(replicas.Values);
Console.WriteLine($"Node {leader.NodeId} was elected leader of term {leader.Term} after {clock.ElapsedMilliseconds} ms.");

var acknowledged = new Dictionary<string, string>();
await WriteAsync(leader, 0, 50);
Console.WriteLine($"Wrote 50 keys through node {leader.NodeId}; {acknowledged.Count} acknowledged.");

Console.WriteLine($"Stopping the leader, node {leader.NodeId}.");
network.Unregister(leader.NodeId);
await leader.StopAsync();
replicas.Remove(leader.NodeId);

clock.Restart();
var newLeader = await WaitForLeaderAsync(replicas.Values);
Console.WriteLine($"Node {newLeader.NodeId} took over as leader of term {newLeader.Term} after {clock.ElapsedMilliseconds} ms.");
await WriteAsync(newLeader, 50, 100);
Console.WriteLine($"Wrote 50 more keys through node {newLeader.NodeId}; {acknowledged.Count} acknowledged in all.");

Console.WriteLine($"Restarting node {leader.NodeId} from its directory; it catches up as a follower.");
replicas[leader.NodeId] = await StartReplicaAsync(leader.NodeId);
await WaitForLeaderAsync(replicas.Values);

var missing = 0;
foreach (var replica in replicas.Values)
{
    foreach (var (key, value) in acknowledged)
    {
        var read = KvResult.ReadValue((await replica.ReadAsync(new KvCommand(KvCommandType.Get, key).Encode())).Span);
        if (read != value)
        {
            missing++;
            Console.WriteLine($"  node {replica.NodeId}: {key} = {read ?? "(absent)"}, expected {value}");
        }
    }
}

Console.WriteLine(missing == 0
    ? $"Every one of the {acknowledged.Count} acknowledged writes is readable (linearizable reads) on all three replicas."
    : $"{missing} acknowledged writes are missing.");
foreach (var replica in replicas.Values)
{
    await replica.StopAsync();
}

Directory.Delete(dataRoot, recursive: true);
return missing == 0 && acknowledged.Count == 100 ? 0 : 1;

async Task<RaftReplica> StartReplicaAsync(ulong id)
{
    var options = new RaftReplicaOptions
    {
        Node = new RaftNodeOptions { Id = id, Group = 1, InitialConfiguration = members },
        TickInterval = TimeSpan.FromMilliseconds(20),
        ProposalTimeout = TimeSpan.FromSeconds(5),
    };
    var store = await FileLogStore.OpenAsync(Path.Combine(dataRoot, $"node-{id}"), new FileLogStoreOptions { SegmentSize = 4 << 20 });
    var replica = new RaftReplica(options, store, new KvStateMachine(), network.TransportFor(id));
    network.Register(replica);
    await replica.StartAsync();
    return replica;
}

async Task WriteAsync(RaftReplica through, int from, int to)
{
    for (var i = from; i < to; i++)
    {
        var (key, value) = ($"key-{i}", $"value-{i}");
        await through.ProposeAsync(new KvCommand(KvCommandType.Put, key, value).Encode());
        acknowledged[key] = value;
    }
}

static async Task<RaftReplica> WaitForLeaderAsync(IEnumerable<RaftReplica> candidates)
{
    var deadline = Stopwatch.StartNew();
    while (deadline.Elapsed < TimeSpan.FromSeconds(10))
    {
        var leaders = candidates.Where(r => r.Role == RaftRole.Leader).ToArray();
        if (leaders.Length == 1 && candidates.All(r => r.Leader == leaders[0].NodeId))
        {
            return leaders[0];
        }

        await Task.Delay(10);
    }

    throw new TimeoutException("No leader known to every replica within 10 seconds.");
}
