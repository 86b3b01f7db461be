using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Providers;
using Orleans.Runtime.Hosting;
using Orleans.Serialization.Serializers;
using Orleans.Storage;
using Raft.Actors.Routing;
using Raft.Actors.Services;
using Raft.Orleans.Runtime;
using Raft.Orleans.Storage;

namespace Orleans.Hosting;

/// <summary>Adds Raft replicas and Raft-replicated grain storage to a silo.</summary>
public static class RaftSiloBuilderExtensions
{
    /// <summary>
    /// Hosts this silo's Raft replicas in one grain service (started when the silo becomes
    /// active, stopped with it) and registers <see cref="RaftSilo"/> (node id, router, host).
    /// Every silo of the cluster must be configured alike. Invalid options fail silo start with
    /// an <see cref="OrleansConfigurationException"/> naming the option.
    /// </summary>
    public static ISiloBuilder AddRaft(this ISiloBuilder builder, Action<RaftOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.Configure(configure);
        services.AddSingleton<IConfigurationValidator, RaftOptionsValidator>();
        services.AddSingleton<SiloDirectory>();
        services.AddSingleton<RaftSiloServiceClient>();
        services.AddSingleton<GrainServiceTransport>();
        services.AddSingleton<GrainServiceReplicaInvoker>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RaftOptions>>().Value;
            return new RaftRouter(
                new HashShardMap(Enumerable.Range(1, options.Groups).Select(g => (ulong)g)), // grain state only: the services group is reached by id
                sp.GetRequiredService<GrainServiceReplicaInvoker>(),
                options.Members.Select(options.NodeIdOf),
                new ReplicaGroupClientOptions { Timeout = options.RequestTimeout, AttemptTimeout = options.AttemptTimeout });
        });
        services.AddSingleton(sp => new RaftSilo(
            sp.GetRequiredService<ILocalSiloDetails>(),
            sp.GetRequiredService<IOptions<RaftOptions>>(),
            sp.GetRequiredService<RaftRouter>()));
        services.AddGrainService<RaftSiloService>();
        return builder;
    }

    /// <summary>
    /// Adds the replicated services to the silo, for grains and any other component to inject:
    /// <see cref="RaftServices"/> (key-value store, <see cref="RaftServices.GetLock"/>,
    /// <see cref="RaftServices.GetSequence"/>) and <see cref="IReplicatedKv"/>. They live in a
    /// group of their own (<see cref="RaftOptions.ServicesGroupId"/>, a <see cref="ServiceStateMachine"/>)
    /// replicated like the grain storage groups. Every silo of the cluster must call it (the
    /// group's placement counts it). Needs <see cref="AddRaft"/> on the same silo.
    /// </summary>
    public static ISiloBuilder AddRaftServices(this ISiloBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.Configure<RaftOptions>(o => o.Services = true);
        services.AddSingleton<IConfigurationValidator>(sp => new RaftServicesValidator(sp));
        services.AddSingleton(sp => new RaftServices(sp.GetRequiredService<RaftSilo>().Router.ForGroup(RaftOptions.ServicesGroupId)));
        services.AddSingleton(sp => sp.GetRequiredService<RaftServices>().Kv);
        return builder;
    }

    /// <summary>
    /// Adds an <see cref="IGrainStorage"/> named <paramref name="name"/> whose state lives in the
    /// silo's Raft groups: writes are Raft proposals, the ETag is the state's version, a stale
    /// ETag raises <see cref="InconsistentStateException"/>, reads are linearizable. Needs
    /// <see cref="AddRaft"/> on the same silo.
    /// </summary>
    public static ISiloBuilder AddRaftGrainStorage(this ISiloBuilder builder, string name, Action<RaftGrainStorageOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var services = builder.Services;
        var options = services.AddOptions<RaftGrainStorageOptions>(name);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddTransient<IPostConfigureOptions<RaftGrainStorageOptions>, DefaultStorageProviderSerializerOptionsConfigurator<RaftGrainStorageOptions>>();
        services.AddSingleton<IConfigurationValidator>(sp => new RaftGrainStorageOptionsValidator(name, sp));
        services.AddGrainStorage(name, (sp, n) => new RaftGrainStorage(
            n,
            sp.GetRequiredService<IOptionsMonitor<RaftGrainStorageOptions>>().Get(n),
            sp.GetRequiredService<RaftSilo>(),
            sp.GetRequiredService<IActivatorProvider>(),
            sp.GetRequiredService<ILogger<RaftGrainStorage>>()));
        return builder;
    }

    /// <summary>Adds the Raft grain storage as the silo's default storage provider; see <see cref="AddRaftGrainStorage"/>.</summary>
    public static ISiloBuilder AddRaftGrainStorageAsDefault(this ISiloBuilder builder, Action<RaftGrainStorageOptions>? configure = null) =>
        builder.AddRaftGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, configure);
}
