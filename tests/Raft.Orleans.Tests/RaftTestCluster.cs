using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Journaling.Json;
using Orleans.Storage;
using Orleans.TestingHost;
using Raft.Actors.Consensus;
using Raft.Orleans.Runtime;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Raft.Orleans.Tests;

/// <summary>How a test cluster is set up: by default three silos in manual membership, each hosting every group.</summary>
public sealed record RaftClusterSettings
{
    public int Silos { get; init; } = 3;

    public RaftMembershipMode Membership { get; init; } = RaftMembershipMode.Manual;

    public TimeSpan DeadSiloGracePeriod { get; init; } = TimeSpan.FromSeconds(1);

    public bool Services { get; init; }

    /// <summary>Adds the Raft journal storage as the default journal storage (with the services, where it keeps journals).</summary>
    public bool Journaling { get; init; }
}

/// <summary>In-process silos (Silo_0…, all of them the configured members), with Raft grain storage "raft" and data in a temporary directory removed on dispose.</summary>
public sealed class RaftTestCluster : IAsyncDisposable
{
    public const int Groups = 6;
    public const string Storage = "raft";

    private readonly List<InProcessSiloHandle> _restarted = [];

    private RaftTestCluster(InProcessTestCluster cluster, string dataDirectory)
    {
        Cluster = cluster;
        DataDirectory = dataDirectory;
    }

    public InProcessTestCluster Cluster { get; }

    public string DataDirectory { get; }

    public IClusterClient Client => Cluster.Client;

    /// <summary>Running silos: the cluster's own plus those restarted here.</summary>
    public IEnumerable<InProcessSiloHandle> Silos => Cluster.Silos.Concat(_restarted).Where(s => s.IsActive);

    public static async Task<RaftTestCluster> StartAsync(RaftClusterSettings? settings = null)
    {
        settings ??= new RaftClusterSettings();
        var data = Path.Combine(Path.GetTempPath(), $"raft-orleans-tests-{Guid.NewGuid():N}");
        var builder = new InProcessTestClusterBuilder((short)settings.Silos);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                // Declare a killed silo dead within a few seconds, so its grains move on.
                o.ProbeTimeout = TimeSpan.FromMilliseconds(500);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
            });
            silo.AddRaft(o =>
            {
                o.DataDirectory = data;
                o.Members = [.. Enumerable.Range(0, settings.Silos).Select(i => $"Silo_{i}")];
                o.Membership = settings.Membership;
                o.DeadSiloGracePeriod = settings.DeadSiloGracePeriod;
                o.MembershipCheckInterval = TimeSpan.FromMilliseconds(300);
                o.Groups = Groups;
                o.LogSegmentSize = 256 << 10;
                o.TickInterval = TimeSpan.FromMilliseconds(20);
                o.RequestTimeout = TimeSpan.FromSeconds(20);
                o.AttemptTimeout = TimeSpan.FromSeconds(2);
                o.ProposalTimeout = TimeSpan.FromSeconds(2);
            });
            silo.AddRaftGrainStorage(Storage);
            if (settings.Services || settings.Journaling)
            {
                silo.AddRaftServices();
            }

            if (settings.Journaling)
            {
                silo.AddRaftJournalStorage();
                silo.UseJsonJournalFormat(Journaling.JournalJson.Default);
            }
        });
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch
        {
            await cluster.DisposeAsync();
            TryDelete(data);
            throw;
        }

        return new RaftTestCluster(cluster, data);
    }

    public static RaftSilo RaftOf(InProcessSiloHandle silo) => silo.SiloHost.Services.GetRequiredService<RaftSilo>();

    public IGrainStorage StorageOn(InProcessSiloHandle silo) => silo.SiloHost.Services.GetRequiredKeyedService<IGrainStorage>(Storage);

    public InProcessSiloHandle SiloNamed(string name) => Silos.Single(s => s.Name == name);

    /// <summary>Kills a silo without a graceful stop, as a crash would.</summary>
    public Task KillAsync(InProcessSiloHandle silo) => Cluster.KillSiloAsync(silo);

    /// <summary>Starts a silo again under the name (hence node id and data directory) it had.</summary>
    public async Task<InProcessSiloHandle> RestartAsync(string name)
    {
        var number = int.Parse(name["Silo_".Length..], System.Globalization.CultureInfo.InvariantCulture);
        var silo = await Cluster.StartSiloAsync(number, Cluster.Options).WaitAsync(TimeSpan.FromSeconds(60));
        _restarted.Add(silo);
        return silo;
    }

    /// <summary>Every group of the cluster (the services group included when it is on).</summary>
    public IReadOnlyList<ulong> AllGroups => RaftOf(Silos.First()).Groups;

    /// <summary>Waits until every group has one leader that every running replica of the group follows.</summary>
    public Task WaitForLeadersAsync(TimeSpan timeout) => Poll.UntilAsync(() => AllGroups.All(g => LeaderOf(g) is not null), timeout, "every group has a leader known to all its running replicas");

    /// <summary>The running silos' replicas of <paramref name="group"/>.</summary>
    public IReadOnlyList<Actors.Runtime.RaftReplica> ReplicasOf(ulong group) =>
        [.. Silos.Select(s => RaftOf(s).Host?.GetReplica(group)).OfType<Actors.Runtime.RaftReplica>()];

    /// <summary>The replica leading <paramref name="group"/>, once every running replica among its members agrees on it.</summary>
    public Actors.Runtime.RaftReplica? LeaderOf(ulong group)
    {
        var replicas = ReplicasOf(group);
        var leaders = replicas.Where(r => r.Role == RaftRole.Leader).ToArray();
        return leaders.Length == 1 && replicas.Where(r => leaders[0].Members.Contains(r.NodeId)).All(r => r.Leader == leaders[0].NodeId) ? leaders[0] : null;
    }

    /// <summary>Starts one more silo (Silo_n) configured like the others.</summary>
    public async Task<InProcessSiloHandle> StartAdditionalSiloAsync()
    {
        var silo = await Cluster.StartAdditionalSiloAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return silo;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in _restarted)
        {
            await silo.DisposeAsync();
        }

        await Cluster.DisposeAsync();
        TryDelete(DataDirectory);
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

/// <summary>Waits for a condition with a deadline instead of sleeping for a guessed time.</summary>
public static class Poll
{
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Not true within {timeout}: {what}.");
            }

            await Task.Delay(20);
        }
    }

    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Not true within {timeout}: {what}.");
            }

            await Task.Delay(50);
        }
    }
}

/// <summary>One cluster shared by the tests that do not kill silos.</summary>
public sealed class SharedCluster : IAsyncLifetime
{
    public RaftTestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await RaftTestCluster.StartAsync(new RaftClusterSettings { Services = true });
        await Cluster.WaitForLeadersAsync(TimeSpan.FromSeconds(20));
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class SharedClusterCollection : ICollectionFixture<SharedCluster>
{
    public const string Name = "shared raft cluster";
}
