using Raft.Actors.Services;

namespace Raft.Orleans.Tests.Services;

public interface IServicesGrain : IGrainWithStringKey
{
    Task Put(string key, string value);

    Task<string?> Get(string key);

    /// <summary>Takes the lock for this grain; returns its fencing token, or null when another owner holds it.</summary>
    Task<long?> TryLock(string name);

    Task<bool> Unlock(string name);

    /// <summary>A write fenced by the token this grain got for <paramref name="lockName"/>; false when the fence was refused.</summary>
    Task<bool> PutFenced(string key, string value, string lockName, long token);

    /// <summary>Takes <paramref name="count"/> ranges of <paramref name="step"/> numbers, one after another.</summary>
    Task<long[]> TakeRanges(string sequence, int count, long step);
}

/// <summary>Uses the replicated services from DI, as an application grain would.</summary>
public sealed class ServicesGrain(RaftServices services, IReplicatedKv kv) : Grain, IServicesGrain
{
    private readonly Dictionary<string, LockHandle> _held = [];

    public Task Put(string key, string value) => kv.PutAsync(key, System.Text.Encoding.UTF8.GetBytes(value));

    public async Task<string?> Get(string key) => await kv.GetAsync(key) is { } bytes ? System.Text.Encoding.UTF8.GetString(bytes) : null;

    public async Task<long?> TryLock(string name)
    {
        var handle = await Lock(name).TryAcquireAsync();
        if (handle is null)
        {
            return null;
        }

        _held[name] = handle;
        return handle.Token;
    }

    public async Task<bool> Unlock(string name) => _held.Remove(name, out var handle) && await handle.ReleaseAsync();

    public async Task<bool> PutFenced(string key, string value, string lockName, long token)
    {
        try
        {
            await services.Kv.PutAsync(key, System.Text.Encoding.UTF8.GetBytes(value), new FencingToken(lockName, token));
            return true;
        }
        catch (FencingTokenRejectedException)
        {
            return false;
        }
    }

    public async Task<long[]> TakeRanges(string sequence, int count, long step)
    {
        var starts = new long[count];
        for (var i = 0; i < count; i++)
        {
            var range = await services.GetSequence(sequence).NextAsync(step);
            Assert.Equal(step, range.Count);
            starts[i] = range.Start;
        }

        return starts;
    }

    private IDistributedLock Lock(string name) =>
        services.GetLock(name, new DistributedLockOptions { Owner = this.GetPrimaryKeyString(), Lease = TimeSpan.FromSeconds(30), AutoRenew = false });
}
