using Microsoft.Extensions.Time.Testing;
using Raft.Actors.Services;
using Xunit;

namespace Raft.Actors.Tests.Services;

public sealed class ServiceSnapshotTests
{
    [Fact]
    public async Task A_restored_machine_holds_the_same_keys_locks_and_sequences_and_continues_from_them()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var original = new DirectGroupClient();
        var services = new RaftServices(original, time);
        var manual = new DistributedLockOptions { Owner = "holder", Lease = TimeSpan.FromSeconds(10), AutoRenew = false };
        await services.Kv.PutAsync("bytes", new byte[] { 0, 1, 2 });
        await services.Kv.PutStringAsync("b/1", "one");
        await services.Kv.PutStringAsync("a", "first");
        var held = await services.GetLock("held", manual).TryAcquireAsync();
        var reentered = await services.GetLock("held", manual).TryAcquireAsync();
        var released = await services.GetLock("released", manual).TryAcquireAsync();
        Assert.True(await released!.ReleaseAsync());
        await services.GetSequence("ids").NextAsync(7);
        await services.GetSequence("other").NextAsync();
        var bytes = SnapshotBytes(original.StateMachine);

        var restored = new ServiceStateMachine();
        restored.Restore(new MemoryStream(bytes));
        var copy = new RaftServices(new DirectGroupClient(restored), time);

        Assert.Equal(bytes, SnapshotBytes(restored));
        Assert.Equal(["a", "b/1", "bytes"], (await copy.Kv.ScanAsync("", null)).Select(e => e.Key));
        Assert.Equal(new byte[] { 0, 1, 2 }, await copy.Kv.GetAsync("bytes"));
        Assert.Equal(await services.GetLock("held").GetStateAsync(), await copy.GetLock("held").GetStateAsync());
        Assert.Equal(2, (await copy.GetLock("held").GetStateAsync())!.Holds);
        Assert.Equal(await services.GetLock("released").GetStateAsync(), await copy.GetLock("released").GetStateAsync());
        Assert.Equal(7, await copy.GetSequence("ids").GetCurrentAsync());

        // The restored state goes on where it stopped: no number or token is handed out again.
        Assert.Equal(new SequenceRange(7, 9), await copy.GetSequence("ids").NextAsync(2));
        Assert.Equal(released.Token + 1, (await copy.GetLock("released").TryAcquireAsync())!.Token);
        Assert.Null(await copy.GetLock("held", new DistributedLockOptions { Owner = "someone else", AutoRenew = false }).TryAcquireAsync());
        Assert.Equal(held!.Token, reentered!.Token);
        await copy.Kv.PutStringAsync("a", "fenced", held.Fence);
        Assert.Equal("fenced", await copy.Kv.GetStringAsync("a"));
    }

    [Fact]
    public async Task A_snapshot_is_a_copy_that_later_applies_do_not_change()
    {
        var group = new DirectGroupClient();
        var services = new RaftServices(group);
        await services.Kv.PutStringAsync("k", "before");
        using var snapshot = group.StateMachine.TakeSnapshot();

        await services.Kv.PutStringAsync("k", "after");
        await services.GetSequence("s").NextAsync();
        var restored = new ServiceStateMachine();
        using var stream = new MemoryStream();
        snapshot.WriteTo(stream);
        stream.Position = 0;
        restored.Restore(stream);
        var copy = new RaftServices(new DirectGroupClient(restored));

        Assert.Equal("before", await copy.Kv.GetStringAsync("k"));
        Assert.Equal(0, await copy.GetSequence("s").GetCurrentAsync());
    }

    [Fact]
    public void A_snapshot_of_another_format_is_refused()
    {
        var machine = new ServiceStateMachine();

        Assert.Throws<InvalidDataException>(() => machine.Restore(new MemoryStream([2, 0, 0, 0])));
    }

    private static byte[] SnapshotBytes(ServiceStateMachine machine)
    {
        using var snapshot = machine.TakeSnapshot();
        using var stream = new MemoryStream();
        snapshot.WriteTo(stream);
        return stream.ToArray();
    }
}
