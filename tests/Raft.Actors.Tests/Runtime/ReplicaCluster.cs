using System.Diagnostics;
using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Runtime;
using Raft.Actors.Snapshots;
using Raft.Actors.StateMachines;
using Raft.Actors.Storage;

namespace Raft.Actors.Tests.Runtime;

/// <summary>Real replicas (real threads, real timers) of one group on an in-memory network.</summary>
internal sealed class ReplicaCluster : IAsyncDisposable
{
    private readonly Func<IRaftStateMachine> _stateMachine;
    private readonly TimeSpan _proposalTimeout;
    private readonly string? _dataDirectory;
    private readonly bool _checkQuorum;
    private readonly SnapshotSettings? _snapshots;
    private readonly HashSet<ulong> _joined = [];

    private ReplicaCluster(Func<IRaftStateMachine> stateMachine, TimeSpan proposalTimeout, string? dataDirectory, bool checkQuorum, SnapshotSettings? snapshots, ulong group)
    {
        Group = group;
        _stateMachine = stateMachine;
        _proposalTimeout = proposalTimeout;
        _dataDirectory = dataDirectory;
        _checkQuorum = checkQuorum;
        _snapshots = snapshots;
    }

    /// <summary>The group id every replica of this cluster carries.</summary>
    public ulong Group { get; }

    public InMemoryNetwork Network { get; } = new();

    public Dictionary<ulong, RaftReplica> Replicas { get; } = [];

    public Dictionary<ulong, ILogStore> Stores { get; } = [];

    public Dictionary<ulong, IRaftStateMachine> StateMachines { get; } = [];

    /// <summary>Each replica's snapshot store (with snapshot settings): it outlives restarts, as a disk would.</summary>
    public Dictionary<ulong, ISnapshotStore> SnapshotStores { get; } = [];

    /// <summary>
    /// Starts a cluster; with <paramref name="dataDirectory"/>, each replica keeps a <see cref="FileLogStore"/> under it.
    /// With <paramref name="snapshots"/>, each replica takes snapshots into its own store (in memory, or files under the data directory).
    /// </summary>
    public static async Task<ReplicaCluster> StartAsync(int size = 3, Func<IRaftStateMachine>? stateMachine = null, TimeSpan? proposalTimeout = null, string? dataDirectory = null, bool checkQuorum = true, SnapshotSettings? snapshots = null, ulong group = 7)
    {
        var cluster = new ReplicaCluster(stateMachine ?? (() => new KvStateMachine()), proposalTimeout ?? TimeSpan.FromSeconds(5), dataDirectory, checkQuorum, snapshots, group);
        for (ulong id = 1; id <= (ulong)size; id++)
        {
            cluster.Stores[id] = dataDirectory is null ? new InMemoryLogStore() : null!;
            if (snapshots is not null)
            {
                var snapshotOptions = new SnapshotOptions { ChunkSize = snapshots.ChunkSize };
                cluster.SnapshotStores[id] = dataDirectory is null
                    ? new InMemorySnapshotStore(snapshotOptions)
                    : new FileSnapshotStore(new FileSnapshotStoreOptions { Directory = Path.Combine(dataDirectory, $"snapshots-{id}"), Snapshot = snapshotOptions });
            }
        }

        foreach (var id in cluster.Stores.Keys)
        {
            await cluster.StartReplicaAsync(id);
        }

        return cluster;
    }

    /// <summary>
    /// Starts a replica that is in no configuration yet, on a new store, as an operator would
    /// before adding it: it waits for a leader to send it the group's log.
    /// </summary>
    public async Task StartJoiningReplicaAsync(ulong id)
    {
        _joined.Add(id);
        Stores[id] = _dataDirectory is null ? new InMemoryLogStore() : null!;
        await StartReplicaAsync(id);
    }

    /// <summary>Starts (or restarts) a replica on its store: the same in-memory store, or its file directory reopened.</summary>
    public async Task StartReplicaAsync(ulong id)
    {
        if (_dataDirectory is not null)
        {
            Stores[id] = await FileLogStore.OpenAsync(Path.Combine(_dataDirectory, $"node-{id}"), new FileLogStoreOptions { SegmentSize = 1 << 20 });
        }

        var members = _joined.Contains(id) ? new ConfState() : ConfState.OfVoters([.. Stores.Keys.Except(_joined)]);
        var options = new RaftReplicaOptions
        {
            // 300-600 ms election timeouts: ten times the 10 ms tick is a stall a loaded two-core
            // machine does produce, and an election no test asked for then drops its proposal.
            Node = new RaftNodeOptions { Id = id, Group = Group, InitialConfiguration = members, CheckQuorum = _checkQuorum, ElectionTicks = 30 },
            TickInterval = TimeSpan.FromMilliseconds(10),
            ProposalTimeout = _proposalTimeout,
            SnapshotStore = SnapshotStores.GetValueOrDefault(id),
            SnapshotEveryEntries = _snapshots?.Every ?? RaftReplicaOptions.DefaultSnapshotEveryEntries,
            CompactionMargin = _snapshots?.Margin ?? RaftReplicaOptions.DefaultCompactionMargin,
            SnapshotPartTimeout = _snapshots?.PartTimeout ?? RaftReplicaOptions.DefaultSnapshotPartTimeout,
            SnapshotTransferBytesPerSecond = _snapshots?.TransferBytesPerSecond,
        };
        var stateMachine = _stateMachine();
        var store = _dataDirectory is null ? new NonDisposingStore(Stores[id]) : Stores[id];
        var replica = new RaftReplica(options, store, stateMachine, Network.TransportFor(id));
        StateMachines[id] = stateMachine;
        lock (Replicas)
        {
            Replicas[id] = replica;
        }

        Network.Register(replica);
        await replica.StartAsync();
    }

    /// <summary>Stops a replica; its store keeps what it persisted, as a disk would.</summary>
    public async Task StopReplicaAsync(ulong id)
    {
        Network.Unregister(id);
        RaftReplica replica;
        lock (Replicas)
        {
            // Out of reach before it stops: a client never picks a stopped replica.
            Replicas.Remove(id, out replica!);
        }

        await replica.StopAsync();
    }

    /// <summary>The running replica on <paramref name="id"/>, or null; safe to call from any thread while the test starts and stops replicas.</summary>
    public RaftReplica? Find(ulong id)
    {
        lock (Replicas)
        {
            return Replicas.GetValueOrDefault(id);
        }
    }

    public async Task<RaftReplica> WaitForLeaderAsync(TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < (timeout ?? TimeSpan.FromSeconds(10)))
        {
            var leaders = Replicas.Values.Where(r => r.Role == RaftRole.Leader).ToArray();
            if (leaders.Length == 1 && Replicas.Values.All(r => r.Leader == leaders[0].NodeId))
            {
                return leaders[0];
            }

            await Task.Delay(5);
        }

        throw new TimeoutException($"No single leader within the timeout: {string.Join(", ", Replicas.Values.Select(r => $"{r.NodeId}:{r.Role}/t{r.Term}/l{r.Leader}"))}");
    }

    public RaftReplica AnyFollower(RaftReplica leader) => Replicas.Values.First(r => r.NodeId != leader.NodeId);

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in Replicas.Values)
        {
            await replica.StopAsync();
        }
    }

    public static byte[] Put(string key, string value) => new KvCommand(KvCommandType.Put, key, value).Encode();

    public static byte[] Get(string key) => new KvCommand(KvCommandType.Get, key).Encode();

    public static byte[] Cas(string key, string? expected, string value) => new KvCommand(KvCommandType.CompareAndSet, key, value, expected).Encode();

    /// <summary>Snapshot policy for every replica of a cluster; a small chunk size makes transfers take many parts.</summary>
    public sealed record SnapshotSettings(ulong Every, ulong Margin, int ChunkSize = SnapshotOptions.MinChunkSize, TimeSpan? PartTimeout = null, long? TransferBytesPerSecond = null);

    /// <summary>Lets a stopped replica's in-memory store outlive it, so the replica can be restarted on the same "disk".</summary>
    internal sealed class NonDisposingStore(ILogStore inner) : ILogStore
    {
        public ulong FirstIndex => inner.FirstIndex;

        public ulong LastIndex => inner.LastIndex;

        public ulong CompactedIndex => inner.CompactedIndex;

        public ValueTask<LogState> LoadAsync(CancellationToken cancellationToken = default) => inner.LoadAsync(cancellationToken);

        public ValueTask AppendAsync(LogBatch batch, CancellationToken cancellationToken = default) => inner.AppendAsync(batch, cancellationToken);

        public ValueTask<IReadOnlyList<Entry>> ReadAsync(ulong from, ulong toExclusive, CancellationToken cancellationToken = default) => inner.ReadAsync(from, toExclusive, cancellationToken);

        public bool TryGetTerm(ulong index, out ulong term) => inner.TryGetTerm(index, out term);

        public ValueTask CompactAsync(ulong throughIndex, ulong throughTerm, CancellationToken cancellationToken = default) => inner.CompactAsync(throughIndex, throughTerm, cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
