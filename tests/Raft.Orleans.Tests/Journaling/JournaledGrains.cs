using System.Text.Json.Serialization;
using Orleans.Journaling;

namespace Raft.Orleans.Tests.Journaling;

public interface IJournaledCounterGrain : IGrainWithStringKey
{
    /// <summary>Adds to the journaled counter; returns the new value once the journal write is acknowledged.</summary>
    Task<int> Add(int amount);

    Task<int> Get();

    Task Deactivate();

    Task<string> SiloName();
}

public sealed class JournaledCounterGrain(IDurableStateManager state, ILocalSiloDetails silo) : Grain, IJournaledCounterGrain
{
    private readonly IDurableValue<int> _count = state.GetOrAddValue<int>("count");

    public async Task<int> Add(int amount)
    {
        _count.Value += amount;
        await state.WriteStateAsync(CancellationToken.None);
        return _count.Value;
    }

    public Task<int> Get() => Task.FromResult(_count.Value);

    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public Task<string> SiloName() => Task.FromResult(silo.Name);
}

[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(uint))]
[JsonSerializable(typeof(ulong))]
[JsonSerializable(typeof(DateTime))]
internal sealed partial class JournalJson : JsonSerializerContext;
