namespace Raft.Benchmarks.Compare;

/// <summary>
/// <c>compare</c>: the same closed-loop write workload against DotNext.Net.Cluster and
/// Raft.Actors, three nodes each over TCP on loopback with their logs on disk, alternating the two
/// systems and starting fresh clusters (fresh directories, fresh ports) for every measurement.
/// Prints one JSON line describing the setup, then one per scenario with the medians across rounds.
/// </summary>
internal static class CompareBenchmark
{
    private static readonly TimeSpan s_startDeadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_leaderDeadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_stopDeadline = TimeSpan.FromSeconds(30);

    /// <summary>Past the measured window, how long writers may take to finish their last proposal.</summary>
    private static readonly TimeSpan s_drainDeadline = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(string[] args)
    {
        var options = CompareOptions.Parse(args);
        using var watchdog = new Timer(
            _ =>
            {
                Console.Error.WriteLine($"compare: over its budget of {options.Budget}; abandoning (temp data under {options.Directory})");
                Environment.Exit(1);
            },
            null,
            options.Budget,
            Timeout.InfiniteTimeSpan);

        new Json()
            .Add("scenario", "setup")
            .Add("processors", Environment.ProcessorCount)
            .Add("rounds", options.Rounds)
            .Add("seconds", options.Seconds, 1)
            .Add("warmup_seconds", options.WarmupSeconds, 1)
            .Add("ours", "Raft.Actors: 3 RaftReplicas, TcpTransport on loopback, one FileLogStore each; every replica fdatasyncs each appended batch before it acknowledges; writers propose a KV put of the entry size to the leader")
            .Add("dotnext", "DotNext.Net.Cluster 6.12.0: 3 RaftCluster nodes, TcpConfiguration on loopback, WriteAheadLog with default options and a no-op state machine; writers ReplicateAsync an entry of the entry size on the leader")
            .Add("dotnext_wal", DotNextTcpCluster.WalDefaults)
            .Add("dotnext_durability", "not fsynced before a follower acknowledges: its WriteAheadLog flushes pages to disk only up to the commit index (a background flusher woken on commit; the 6.4 source's WriteAheadLog.Flusher.cs, and 6.12's obsolete notes on FlushOnCommit/FlushInterval say the same: checkpoint on every commit), so AppendEntries is acknowledged with the entries in memory-mapped pages only; the maintainer's answer in dotnet/dotNext discussion #285 (6.3): the client gets its ACK before fsync, durable while the cluster stays up")
            .Add("ours_alloc_cpu_scope", "alloc_bytes_per_commit and cpu_ms_per_commit are whole-process deltas over the measured window (all 3 replicas, the transports and the writers) divided by commits")
            .Print();

        var results = new Dictionary<(CompareScenario, string), List<LoadResult>>();
        try
        {
            foreach (var scenario in options.Scenarios)
            {
                for (var round = 0; round < options.Rounds; round++)
                {
                    // Alternate which system goes first so neither always runs on a warmer (or more loaded) machine.
                    string[] order = round % 2 == 0 ? ["dotnext", "raft.actors"] : ["raft.actors", "dotnext"];
                    foreach (var system in order)
                    {
                        var result = await MeasureAsync(system, scenario, round, options);
                        Console.Error.WriteLine($"# {scenario.Name} round {round + 1} {system}: {result.CommitsPerSecond:F0}/s p50 {result.P50Ms:F2} ms p99 {result.P99Ms:F2} ms");
                        if (!results.TryGetValue((scenario, system), out var list))
                        {
                            results[(scenario, system)] = list = [];
                        }

                        list.Add(result);
                    }
                }

                Print(scenario, results[(scenario, "raft.actors")], results[(scenario, "dotnext")]);
            }
        }
        finally
        {
            if (Directory.Exists(options.Directory))
            {
                Directory.Delete(options.Directory, recursive: true);
            }
        }

        return 0;
    }

    private static async Task<LoadResult> MeasureAsync(string system, CompareScenario scenario, int round, CompareOptions options)
    {
        var directory = Path.Combine(options.Directory, $"{scenario.Name}-r{round}-{system}");
        Directory.CreateDirectory(directory);
        IComparedCluster cluster;
        using (var start = new CancellationTokenSource(s_startDeadline))
        {
            cluster = system == "dotnext"
                ? await DotNextTcpCluster.StartAsync(directory, start.Token)
                : await ActorsTcpCluster.StartAsync(directory, start.Token);
        }

        try
        {
            using (var leader = new CancellationTokenSource(s_leaderDeadline))
            {
                await Phase(cluster.WaitForLeaderAsync(leader.Token), s_leaderDeadline, $"{system} to elect a leader");
            }

            var warmup = TimeSpan.FromSeconds(options.WarmupSeconds);
            var window = TimeSpan.FromSeconds(options.Seconds);
            using var load = new CancellationTokenSource(warmup + window + s_drainDeadline);
            return await Phase(WriteLoad.RunAsync(cluster, scenario, warmup, window, load.Token), warmup + window + s_drainDeadline, $"{system} {scenario.Name} writers");
        }
        finally
        {
            try
            {
                await cluster.DisposeAsync().AsTask().WaitAsync(s_stopDeadline);
            }
            catch (TimeoutException)
            {
                Console.Error.WriteLine($"# {system}: stopping the cluster took over {s_stopDeadline}; left behind");
            }

            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task Phase(Task task, TimeSpan deadline, string what)
    {
        try
        {
            await task.WaitAsync(deadline);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            throw new TimeoutException($"timed out after {deadline} waiting for {what}", e);
        }
    }

    private static async Task<T> Phase<T>(Task<T> task, TimeSpan deadline, string what)
    {
        await Phase((Task)task, deadline, what);
        return await task;
    }

    private static void Print(CompareScenario scenario, List<LoadResult> ours, List<LoadResult> dotnext)
    {
        var oursRate = Median(ours, r => r.CommitsPerSecond);
        var theirsRate = Median(dotnext, r => r.CommitsPerSecond);
        new Json()
            .Add("scenario", scenario.Name)
            .Add("writers", scenario.Writers)
            .Add("entry_bytes", scenario.EntryBytes)
            .Add("rounds", ours.Count)
            .Add("dotnext_commits_per_s", theirsRate, 0)
            .Add("dotnext_p50_ms", Median(dotnext, r => r.P50Ms), 2)
            .Add("dotnext_p99_ms", Median(dotnext, r => r.P99Ms), 2)
            .Add("ours_commits_per_s", oursRate, 0)
            .Add("ours_p50_ms", Median(ours, r => r.P50Ms), 2)
            .Add("ours_p99_ms", Median(ours, r => r.P99Ms), 2)
            .Add("ratio", oursRate / theirsRate, 2)
            .Add("alloc_bytes_per_commit", Median(ours, r => r.AllocBytesPerCommit), 0)
            .Add("cpu_ms_per_commit", Median(ours, r => r.CpuMsPerCommit), 3)
            .Print();
    }

    private static double Median(List<LoadResult> results, Func<LoadResult, double> metric)
    {
        var values = results.Select(metric).Order().ToArray();
        return values.Length % 2 == 1 ? values[values.Length / 2] : (values[(values.Length / 2) - 1] + values[values.Length / 2]) / 2;
    }
}
