using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Raft.Orleans.Runtime;

namespace Orleans.Configuration;

/// <summary>Fails silo start when a Raft grain storage provider is registered on a silo without <c>AddRaft</c>, or without a serializer.</summary>
public sealed class RaftGrainStorageOptionsValidator(string name, IServiceProvider services) : IConfigurationValidator
{
    /// <inheritdoc />
    public void ValidateConfiguration()
    {
        if (services.GetService<RaftSilo>() is null)
        {
            throw new OrleansConfigurationException($"Raft grain storage \"{name}\" needs the silo's Raft replicas: call siloBuilder.AddRaft(options => ...) as well.");
        }

        if (services.GetRequiredService<IOptionsMonitor<RaftGrainStorageOptions>>().Get(name).GrainStorageSerializer is null)
        {
            throw new OrleansConfigurationException($"RaftGrainStorageOptions.GrainStorageSerializer of storage \"{name}\" is null and the silo has no default IGrainStorageSerializer.");
        }
    }
}
