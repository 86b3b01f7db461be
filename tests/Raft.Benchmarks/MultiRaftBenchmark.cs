using System.Diagnostics;
using System.Globalization;
using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Runtime;
using Raft.Actors.StateMachines;
using Raft.Actors.Storage;

namespace Raft.Benchmarks;

/// <summary>
/// Three <see cref="RaftHost"/>s in one process, each with a replica of every group, on the
/// in-memory network. With <c>--storage memory</c> (the default) the logs are in-memory stores
/// (no disk: this measures the per-group cost of the runtime, not storage); with
/// <c>--storage shared</c> each host keeps every group's log in one <see cref="SharedLog"/> on
/// disk, each write fdatasync'ed. Prints the idle cost once every group is quiescent, then
/// write throughput spread over many groups against a single group. <c>--storage file</c>, for
/// comparison, gives every replica its own <see cref="FileLogStore"/> (64 KiB segments): one
/// fdatasync per group batch, nothing shared.
/// </summary>
internal static class MultiRaftBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        int groups = 10_000, idleSeconds = 30, spreadGroups = 1_000, writeSeconds = 5, writers = 64, quiesceAfterTicks = new RaftHostOptions { NodeId = 1 }.QuiesceAfterTicks, workers = new RaftHostOptions { NodeId = 1 }.Workers;
        var storage = "memory";
        var dataRoot = Path.Combine(Path.GetTempPath(), $"raft-bench-multiraft-{Environment.ProcessId}");
        for (var i = 0; i < args.Length; i++)
        {
            var text = i + 1 < args.Length ? args[i + 1] : "";
            var value = int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : 0;
            switch (args[i++])
            {
                case "--groups": groups = value; break;
                case "--idle-seconds": idleSeconds = value; break;
                case "--spread-groups": spreadGroups = value; break;
                case "--write-seconds": writeSeconds = value; break;
                case "--writers": writers = value; break;
                case "--quiesce-after-ticks": quiesceAfterTicks = value; break;
                case "--workers": workers = value; break;
                case "--storage" when text is "memory" or "shared" or "file": storage = text; break;
                case "--dir": dataRoot = text; break;
                default:
                    Console.Error.WriteLine($"unknown option or value: {args[i - 1]} {text}");
                    return 2;
            }
        }

        var shared = storage == "shared";
        var onDisk = storage != "memory";
        if (onDisk)
        {
            Console.Error.WriteLine($"# storage: {(shared ? "one SharedLog per host" : "one FileLogStore per replica")} under {dataRoot}; every write is fdatasync'ed before it is acknowledged");
        }

        var baseline = SettledHeapBytes();
        var clock = Stopwatch.StartNew();
        var network = new InMemoryNetwork();
        ulong[] nodes = [1, 2, 3];
        var hosts = nodes.Select(n => new RaftHost(
            new RaftHostOptions { NodeId = n, QuiesceAfterTicks = quiesceAfterTicks, Workers = workers, DataDirectory = shared ? Path.Combine(dataRoot, $"node{n}") : null },
            network.TransportFor(n))).ToArray();
        foreach (var host in hosts)
        {
            network.Register(host.NodeId, host);
        }

        for (ulong group = 1; group <= (ulong)groups; group++)
        {
            foreach (var host in hosts)
            {
                var options = new RaftReplicaOptions { Node = new RaftNodeOptions { Id = host.NodeId, Group = group, InitialConfiguration = ConfState.OfVoters(nodes) } };
                if (shared)
                {
                    await host.AddGroupAsync(options, new KvStateMachine());
                    continue;
                }

                ILogStore store = onDisk
                    ? await FileLogStore.OpenAsync(Path.Combine(dataRoot, $"node{host.NodeId}", $"group{group}"), new FileLogStoreOptions { SegmentSize = FileLogStoreOptions.MinSegmentSize })
                    : new InMemoryLogStore();
                await host.AddGroupAsync(options, store, new KvStateMachine());
            }
        }

        await WaitAsync(() => Enumerable.Range(1, groups).All(g => LeaderOf(hosts, (ulong)g) is not null), TimeSpan.FromMinutes(5), "every group to elect a leader");
        var startup = clock.Elapsed;
        if (quiesceAfterTicks > 0)
        {
            await WaitAsync(() => hosts.All(h => h.AwakeCount == 0), TimeSpan.FromMinutes(5), "every group to go quiet");
        }

        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var idleClock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(idleSeconds));
        process.Refresh();
        var idleCpu = (process.TotalProcessorTime - cpuBefore) / idleClock.Elapsed * 100;
        var heap = SettledHeapBytes() - baseline;
        new Json()
            .Add("scenario", "multiraft-idle")
            .Add("storage", storage)
            .Add("groups", groups)
            .Add("quiesce_after_ticks", quiesceAfterTicks)
            .Add("workers_per_host", workers)
            .Add("replicas", groups * 3L)
            .Add("idle_cpu_pct", idleCpu, 2)
            .Add("bytes_per_replica", heap / (groups * 3L))
            .Add("startup_s", startup.TotalSeconds, 2)
            .Add("awake_groups_at_end", hosts.Sum(h => h.AwakeCount))
            .Print();

        var syncs = SyncCount(hosts);
        var spreadClock = Stopwatch.StartNew();
        var spread = await WriteAsync(hosts, Math.Min(spreadGroups, groups), writers, writeSeconds);
        var spreadSyncs = (SyncCount(hosts) - syncs) / spreadClock.Elapsed.TotalSeconds;
        syncs = SyncCount(hosts);
        var singleClock = Stopwatch.StartNew();
        var single = await WriteAsync(hosts, 1, writers, writeSeconds);
        var singleSyncs = (SyncCount(hosts) - syncs) / singleClock.Elapsed.TotalSeconds;
        var json = new Json()
            .Add("scenario", "multiraft-writes")
            .Add("storage", storage switch
            {
                "shared" => "shared WAL per host (fdatasync before every acknowledgement)",
                "file" => "FileLogStore per replica (fdatasync per group batch)",
                _ => "memory (no fsync)",
            })
            .Add("writers", writers)
            .Add("spread_groups", Math.Min(spreadGroups, groups))
            .Add("spread_commits_per_s", spread.CommitsPerSecond, 0)
            .Add("single_commits_per_s", single.CommitsPerSecond, 0)
            .Add("spread_vs_single", spread.CommitsPerSecond / single.CommitsPerSecond, 2)
            .Add("spread_work_items_per_commit", spread.WorkItemsPerCommit, 1)
            .Add("single_work_items_per_commit", single.WorkItemsPerCommit, 1);
        if (shared)
        {
            json.Add("spread_fsyncs_per_s_per_host", spreadSyncs / hosts.Length, 0)
                .Add("single_fsyncs_per_s_per_host", singleSyncs / hosts.Length, 0);
        }

        json.Print();
        foreach (var host in hosts)
        {
            await host.DisposeAsync();
        }

        if (onDisk)
        {
            Directory.Delete(dataRoot, recursive: true);
        }

        return 0;
    }

    /// <summary>
    /// Commits per second of <paramref name="writers"/> concurrent writers, writer i writing to group
    /// i mod <paramref name="groupCount"/> + 1, and thread-pool work items per commit (each one a
    /// thread hand-off: the cost that batching amortizes).
    /// </summary>
    private static async Task<(double CommitsPerSecond, double WorkItemsPerCommit)> WriteAsync(RaftHost[] hosts, int groupCount, int writers, int seconds)
    {
        long commits = 0;
        var workItems = ThreadPool.CompletedWorkItemCount;
        var stop = Stopwatch.StartNew();
        var value = new string('v', 64);
        var tasks = Enumerable.Range(0, writers).Select(async w =>
        {
            var group = (ulong)(w % groupCount) + 1;
            var n = 0;
            while (stop.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                var leader = LeaderOf(hosts, group);
                if (leader is null)
                {
                    await Task.Delay(1);
                    continue;
                }

                try
                {
                    await leader.ProposeAsync(new KvCommand(KvCommandType.Put, $"k{w}", value).Encode());
                    Interlocked.Increment(ref commits);
                }
                catch (NotLeaderException)
                {
                }

                group = (ulong)((w + (++n * writers)) % groupCount) + 1;
            }
        }).ToArray();
        await Task.WhenAll(tasks);
        return (commits / stop.Elapsed.TotalSeconds, (ThreadPool.CompletedWorkItemCount - workItems) / (double)Math.Max(1, commits));
    }

    private static long SyncCount(RaftHost[] hosts) => hosts.Sum(h => h.SharedLog?.SyncCount ?? 0);

    private static RaftReplica? LeaderOf(RaftHost[] hosts, ulong group)
    {
        foreach (var host in hosts)
        {
            if (host.GetReplica(group) is { Role: RaftRole.Leader } replica)
            {
                return replica;
            }
        }

        return null;
    }

    private static long SettledHeapBytes()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static async Task WaitAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"timed out after {timeout} waiting for {what}");
            }

            await Task.Delay(100);
        }
    }
}
