using Orleans.Runtime.Services;

namespace Raft.Orleans.Runtime;

/// <summary>Reaches the <see cref="IRaftSiloService"/> of a given silo.</summary>
internal sealed class RaftSiloServiceClient(IServiceProvider services) : GrainServiceClient<IRaftSiloService>(services)
{
    /// <summary>The grain service on <paramref name="silo"/>.</summary>
    public IRaftSiloService On(SiloAddress silo) => GetGrainService(silo);
}
