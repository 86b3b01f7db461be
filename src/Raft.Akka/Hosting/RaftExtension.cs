using System.Collections.Concurrent;
using System.Text;
using Akka;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Routing;
using Raft.Actors.Runtime;
using Raft.Actors.Services;
using Raft.Actors.Snapshots;
using Raft.Akka.Runtime;
using Raft.Akka.Serialization;

namespace Raft.Akka;

/// <summary>
/// Raft inside an actor system: this node's replica of every group (each running a
/// <see cref="ServiceStateMachine"/>), hosted by one <see cref="RaftHost"/> whose entry point is
/// the system actor <c>/system/raft</c>; replica traffic over Akka.Remote; a
/// <see cref="RaftRouter"/> and the replicated services (<see cref="RaftServices"/>: KV, locks,
/// sequences) of every group, reachable from this node wherever the groups' leaders are.
/// </summary>
/// <remarks>
/// <para>Get it with <see cref="Get"/> (or load it with <c>akka.extensions</c> or <c>WithRaft</c>):
/// its settings are read from <c>akka.raft</c> and checked at once, a bad one failing with a
/// <see cref="ConfigurationException"/> that names it. The stores open in the background
/// (<see cref="Started"/>); coordinated shutdown stops the replicas and closes the stores.</para>
/// <para>Thread-safe.</para>
/// </remarks>
public sealed class RaftExtension : IExtension
{
    private readonly ExtendedActorSystem _system;
    private readonly ILoggingAdapter _log;
    private readonly RemoteTransport _transport;
    private readonly ConcurrentDictionary<ulong, RaftServices> _services = new();
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private volatile RaftHost? _host;
    private bool _stopped;
    private long _rejected;

    internal RaftExtension(ExtendedActorSystem system)
    {
        _system = system;
        system.Settings.InjectTopLevelFallback(DefaultConfig());
        Settings = RaftSettings.FromConfig(system.Settings.Config);
        Settings.Validate();
        _log = Logging.GetLogger(system, "Raft.Akka");
        BindSerializer(system);
        Peers = new RaftPeers(system, Settings);
        _transport = new RemoteTransport(Settings, Peers, _log);
        Router = new RaftRouter(
            new HashShardMap(Settings.GroupIds),
            new AskReplicaInvoker(Settings, Peers),
            Settings.Members.Keys,
            new ReplicaGroupClientOptions { Timeout = Settings.RequestTimeout, AttemptTimeout = Settings.AttemptTimeout });
        _transport.Self = system.SystemActorOf(RaftNodeActor.Props(this), RaftPeers.ActorName);
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "raft-stop", async () =>
        {
            await StopAsync().ConfigureAwait(false);
            return Done.Instance;
        });
        Started = StartAsync();
    }

    /// <summary>The settings in force (validated).</summary>
    public RaftSettings Settings { get; }

    /// <summary>This node's id (<c>akka.raft.node-id</c>).</summary>
    public ulong NodeId => Settings.NodeId;

    /// <summary>Reaches every group from this node: keys map to groups by hash (<see cref="HashShardMap"/>).</summary>
    public RaftRouter Router { get; }

    /// <summary>Completes once this node's replicas run; faults if a store could not be opened.</summary>
    public Task Started { get; }

    /// <summary>This node's replicas: set while they run, null before they start and after they stop.</summary>
    public RaftHost? Host => _host;

    /// <summary>Frames and requests refused since start (wrong cluster id, unknown node, address mismatch, malformed).</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    internal RaftPeers Peers { get; }

    /// <summary>The extension of <paramref name="system"/>, created (and validated) on first use.</summary>
    public static RaftExtension Get(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        return system.WithExtension<RaftExtension, RaftExtensionProvider>();
    }

    /// <summary>The defaults: <c>reference.conf</c> of this package (<c>akka.raft</c>, the serializer binding, the journal, snapshot store and lease sections).</summary>
    public static Config DefaultConfig() => ConfigurationFactory.FromResource<RaftExtension>("Raft.Akka.reference.conf");

    /// <summary>The services (KV, locks, sequences) of <paramref name="group"/> (1…<see cref="RaftSettings.Groups"/>); one instance per group.</summary>
    public RaftServices Services(ulong group)
    {
        if (group < 1 || group > (ulong)Settings.Groups)
        {
            throw new ArgumentOutOfRangeException(nameof(group), group, $"Groups are 1…{Settings.Groups} ({RaftSettings.Section}.groups).");
        }

        return _services.GetOrAdd(group, g => new RaftServices(Router.ForGroup(g)));
    }

    /// <summary>The services of the group that owns <paramref name="key"/> (by hash of its UTF-8 bytes).</summary>
    public RaftServices ServicesFor(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Services(Router.Shards.GroupOf(Encoding.UTF8.GetBytes(key)));
    }

    /// <summary>Stops this node's replicas and closes their stores (coordinated shutdown does this); idempotent.</summary>
    public async Task StopAsync()
    {
        try
        {
            await Started.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // A start that failed left nothing running.
        }

        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            _stopped = true;
            if (_host is { } host)
            {
                _host = null;
                await host.DisposeAsync().ConfigureAwait(false);
                _log.Info("Raft node {0} stopped its replicas", NodeId);
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    internal void CountRejected() => Interlocked.Increment(ref _rejected);

    private async Task StartAsync()
    {
        await Task.Yield();
        var logger = new AkkaLogger(_log);
        // Every group's log lives in the node's shared log (one fdatasync covers all groups' writes);
        // snapshots stay per group.
        var host = new RaftHost(
            new RaftHostOptions { NodeId = NodeId, TickInterval = Settings.TickInterval, DataDirectory = Settings.NodeDirectory, LogSegmentSize = Settings.LogSegmentSize },
            _transport,
            logger: logger);
        try
        {
            var voters = ConfState.OfVoters([.. Settings.Members.Keys]);
            foreach (var group in Settings.GroupIds)
            {
                var options = new RaftReplicaOptions
                {
                    Node = new RaftNodeOptions { Id = NodeId, Group = group, InitialConfiguration = voters, ElectionTicks = Settings.ElectionTicks },
                    TickInterval = Settings.TickInterval,
                    ProposalTimeout = Settings.ProposalTimeout,
                    SnapshotStore = new FileSnapshotStore(new FileSnapshotStoreOptions { Directory = Path.Combine(Settings.GroupDirectory(group), "snapshots") }),
                    SnapshotEveryEntries = Settings.SnapshotEveryEntries,
                };
                await host.AddGroupAsync(options, new ServiceStateMachine()).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            _log.Error(ex, "Raft node {0} could not start its replicas under {1}", NodeId, Settings.DataDirectory);
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_stopped)
            {
                await host.DisposeAsync().ConfigureAwait(false);
                return;
            }

            _host = host;
        }
        finally
        {
            _lifecycle.Release();
        }

        _log.Info("Raft node {0} of cluster {1} started {2} replicas under {3}", NodeId, Settings.ClusterId, host.GroupCount, Settings.NodeDirectory);
    }

    /// <summary>
    /// Binds <see cref="RaftEnvelopeSerializer"/> when the system was started without this
    /// package's reference.conf (bindings are read when the system starts; the fallback injected
    /// by this extension comes too late for them).
    /// </summary>
    private static void BindSerializer(ExtendedActorSystem system)
    {
        if (system.Serialization.FindSerializerForType(typeof(RaftFrame)) is RaftEnvelopeSerializer)
        {
            return;
        }

        var serializer = new RaftEnvelopeSerializer(system);
        system.Serialization.AddSerializer("raft", serializer);
        foreach (var type in new[] { typeof(IRaftEnvelope), typeof(RaftFrame), typeof(RaftRequest), typeof(RaftAnswer) })
        {
            system.Serialization.AddSerializationMap(type, serializer);
        }
    }
}

/// <summary>Creates the <see cref="RaftExtension"/> of an actor system.</summary>
public sealed class RaftExtensionProvider : ExtensionIdProvider<RaftExtension>
{
    /// <inheritdoc />
    public override RaftExtension CreateExtension(ExtendedActorSystem system) => new(system);
}
