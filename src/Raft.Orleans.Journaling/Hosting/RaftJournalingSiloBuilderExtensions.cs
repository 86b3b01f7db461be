using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Journaling;
using Raft.Actors.Services;
using Raft.Orleans.Journaling.Storage;

namespace Orleans.Hosting;

/// <summary>Registers the Raft-backed journal storage of Microsoft.Orleans.Journaling on a silo.</summary>
public static class RaftJournalingSiloBuilderExtensions
{
    /// <summary>The name <see cref="AddRaftJournalStorage(ISiloBuilder)"/> registers the provider under.</summary>
    public const string DefaultName = "Default";

    /// <summary>Adds the Raft journal storage as the silo's default journal storage; see <see cref="AddRaftJournalStorage(ISiloBuilder, string)"/>.</summary>
    public static ISiloBuilder AddRaftJournalStorage(this ISiloBuilder builder) => builder.AddRaftJournalStorage(DefaultName);

    /// <summary>
    /// Adds a journal storage provider named <paramref name="name"/> (and Journaling's core
    /// services) whose journals live in the Raft services group: a journaled grain's state
    /// (<c>IDurableStateManager</c>) is then replicated like grain storage and survives silo
    /// loss. Needs <c>AddRaft</c> and <c>AddRaftServices</c> on the same silo, which is checked
    /// at startup.
    /// </summary>
    public static ISiloBuilder AddRaftJournalStorage(this ISiloBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        builder.Services.AddSingleton<IConfigurationValidator>(sp => new ServicesRequired(sp));
        return builder.AddJournalStorage(name, sp => new RaftJournalStorageProvider(
            name,
            sp.GetRequiredService<IReplicatedKv>(),
            sp.GetRequiredService<IOptions<JournaledStateManagerOptions>>()));
    }

    /// <summary>Fails silo start when the Raft services (where the journals live) are not added.</summary>
    private sealed class ServicesRequired(IServiceProvider services) : IConfigurationValidator
    {
        public void ValidateConfiguration()
        {
            if (services.GetService<IOptions<RaftOptions>>()?.Value is not { Services: true })
            {
                throw new OrleansConfigurationException("The Raft journal storage keeps journals in the Raft services group: call siloBuilder.AddRaft(...) and AddRaftServices() as well as AddRaftJournalStorage().");
            }
        }
    }
}
