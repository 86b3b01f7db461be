using Microsoft.Extensions.DependencyInjection;
using Raft.Orleans.Runtime;

namespace Orleans.Configuration;

/// <summary>Fails silo start when the Raft services are added to a silo without <c>AddRaft</c>.</summary>
public sealed class RaftServicesValidator(IServiceProvider services) : IConfigurationValidator
{
    /// <inheritdoc />
    public void ValidateConfiguration()
    {
        if (services.GetService<RaftSilo>() is null)
        {
            throw new OrleansConfigurationException("The Raft services need the silo's Raft replicas: call siloBuilder.AddRaft(options => ...) as well as AddRaftServices().");
        }
    }
}
