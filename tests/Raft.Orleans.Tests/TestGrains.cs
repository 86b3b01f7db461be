namespace Raft.Orleans.Tests;

public interface ICounterGrain : IGrainWithStringKey
{
    /// <summary>Adds to the counter and writes it; returns the new value once the write is acknowledged.</summary>
    Task<int> Add(int amount);

    Task<CounterView> Get();

    Task Clear();

    Task<string> SiloName();
}

[GenerateSerializer]
public sealed record CounterView([property: Id(0)] int Value, [property: Id(1)] string? ETag, [property: Id(2)] bool RecordExists);

[GenerateSerializer]
public sealed class CounterState
{
    [Id(0)] public int Value { get; set; }
}

public sealed class CounterGrain([PersistentState("counter", "raft")] IPersistentState<CounterState> state, ILocalSiloDetails silo) : Grain, ICounterGrain
{
    public async Task<int> Add(int amount)
    {
        state.State.Value += amount;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // The write may or may not have applied: forget what this activation believes and
            // let the next activation read what the replicas hold.
            DeactivateOnIdle();
            throw;
        }

        return state.State.Value;
    }

    public Task<CounterView> Get() => Task.FromResult(new CounterView(state.State.Value, state.Etag, state.RecordExists));

    public Task Clear() => state.ClearStateAsync();

    public Task<string> SiloName() => Task.FromResult(silo.Name);
}
