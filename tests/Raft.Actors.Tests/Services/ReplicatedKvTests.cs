using System.Text;
using Raft.Actors.Protocol;
using Raft.Actors.Runtime;
using Raft.Actors.Services;
using Xunit;

namespace Raft.Actors.Tests.Services;

/// <summary>The store's operations on one state machine, through the public client.</summary>
public sealed class ReplicatedKvTests
{
    private readonly DirectGroupClient _group = new();
    private readonly IReplicatedKv _kv;

    public ReplicatedKvTests() => _kv = new RaftServices(_group).Kv;

    [Fact]
    public async Task Put_get_and_delete_round_trip_bytes()
    {
        byte[] value = [0, 1, 2, 255];
        await _kv.PutAsync("k", value);

        Assert.Equal(value, await _kv.GetAsync("k"));
        Assert.True(await _kv.DeleteAsync("k"));
        Assert.Null(await _kv.GetAsync("k"));
        Assert.False(await _kv.DeleteAsync("k"));
    }

    [Fact]
    public async Task An_empty_value_is_a_value_not_an_absence()
    {
        await _kv.PutAsync("k", ReadOnlyMemory<byte>.Empty);

        Assert.Equal(Array.Empty<byte>(), await _kv.GetAsync("k"));
        Assert.Equal(Array.Empty<byte>(), await _kv.PutIfAbsentAsync("k", Bytes("x")));
    }

    [Fact]
    public async Task Put_if_absent_writes_only_an_absent_key_and_returns_what_was_there()
    {
        Assert.Null(await _kv.PutIfAbsentAsync("k", Bytes("first")));
        Assert.Equal("first", Text(await _kv.PutIfAbsentAsync("k", Bytes("second"))));
        Assert.Equal("first", await _kv.GetStringAsync("k"));
    }

    [Fact]
    public async Task Compare_and_put_swaps_only_on_the_expected_value_or_absence()
    {
        Assert.False(await _kv.CompareAndPutAsync("k", Bytes("nothing"), Bytes("a")));
        Assert.Null(await _kv.GetAsync("k"));
        Assert.True(await _kv.CompareAndPutAsync("k", null, Bytes("a")));
        Assert.False(await _kv.CompareAndPutAsync("k", null, Bytes("b")));
        Assert.False(await _kv.CompareAndPutAsync("k", Bytes("x"), Bytes("b")));
        Assert.True(await _kv.CompareAndPutAsync("k", Bytes("a"), Bytes("b")));
        Assert.Equal("b", await _kv.GetStringAsync("k"));
    }

    [Fact]
    public async Task Get_and_put_returns_the_replaced_value()
    {
        Assert.Null(await _kv.GetAndPutAsync("k", Bytes("1")));
        Assert.Equal("1", Text(await _kv.GetAndPutAsync("k", Bytes("2"))));
        Assert.Equal("2", await _kv.GetStringAsync("k"));
    }

    [Fact]
    public async Task Scans_return_keys_in_ordinal_order_within_range_prefix_and_limit()
    {
        foreach (var key in new[] { "b/2", "a", "b/1", "b/10", "b", "c", "b0", "B" })
        {
            await _kv.PutStringAsync(key, "v-" + key);
        }

        Assert.Equal(["B", "a", "b", "b/1", "b/10", "b/2", "b0", "c"], Keys(await _kv.ScanAsync("", null)));
        Assert.Equal(["b", "b/1", "b/10"], Keys(await _kv.ScanAsync("b", "b/2")));
        Assert.Equal(["b/1", "b/10", "b/2"], Keys(await _kv.ScanPrefixAsync("b/")));
        Assert.Equal(["b/1", "b/10"], Keys(await _kv.ScanPrefixAsync("b/", limit: 2)));
        Assert.Equal("v-b/10", Text((await _kv.ScanPrefixAsync("b/1", limit: 5))[1].Value));
        Assert.Empty(await _kv.ScanAsync("d", null));
        Assert.Empty(await _kv.ScanPrefixAsync("bb"));
    }

    [Fact]
    public async Task A_batch_applies_in_order_as_one_entry()
    {
        await _kv.PutStringAsync("gone", "x");
        var applied = _group.Applied;

        var result = await _kv.BatchAsync(
        [
            KvOperation.Put("a", Bytes("1")),
            KvOperation.CompareAndPut("a", Bytes("1"), Bytes("2")),
            KvOperation.Delete("gone"),
            KvOperation.CompareAndPut("new", null, Bytes("n")),
        ]);

        Assert.True(result.Applied);
        Assert.Equal(applied + 1, _group.Applied);
        Assert.Equal("2", await _kv.GetStringAsync("a"));
        Assert.Null(await _kv.GetAsync("gone"));
        Assert.Equal("n", await _kv.GetStringAsync("new"));
    }

    [Fact]
    public async Task A_batch_with_a_failing_compare_applies_nothing_and_names_the_compare()
    {
        await _kv.PutStringAsync("a", "1");
        await _kv.PutStringAsync("b", "1");

        var result = await _kv.BatchAsync(
        [
            KvOperation.Put("a", Bytes("changed")),
            KvOperation.Delete("b"),
            KvOperation.Put("c", Bytes("new")),
            KvOperation.CompareAndPut("b", Bytes("1"), Bytes("2")),
        ]);

        Assert.False(result.Applied);
        Assert.Equal(3, result.FailedIndex);
        Assert.Equal("1", await _kv.GetStringAsync("a"));
        Assert.Equal("1", await _kv.GetStringAsync("b"));
        Assert.Null(await _kv.GetAsync("c"));
    }

    [Fact]
    public async Task A_fenced_write_without_a_lock_or_with_an_unissued_token_is_refused()
    {
        var services = new RaftServices(_group);
        await using var handle = await services.GetLock("l", new DistributedLockOptions { AutoRenew = false }).TryAcquireAsync();
        Assert.NotNull(handle);

        var noLock = await Assert.ThrowsAsync<FencingTokenRejectedException>(() => _kv.PutStringAsync("k", "v", new FencingToken("other", 1)));
        var future = await Assert.ThrowsAsync<FencingTokenRejectedException>(() => _kv.PutStringAsync("k", "v", new FencingToken("l", handle.Token + 1)));
        await _kv.PutStringAsync("k", "fenced", handle.Fence);

        Assert.Equal(0, noLock.LatestToken);
        Assert.Equal(handle.Token, future.LatestToken);
        Assert.Equal("fenced", await _kv.GetStringAsync("k"));
    }

    [Fact]
    public async Task A_proposal_retried_with_the_same_id_applies_once()
    {
        var command = new CommandWriter(ServiceOp.SequenceNext).WriteString("s").WriteInt64(5).ToArray();
        var id = new ProposalId(42, 1);

        var first = await _group.ProposeAsync(command, id);
        var retry = await _group.ProposeAsync(command, id);

        Assert.Equal(first.ToArray(), retry.ToArray());
        Assert.Equal(5, await new RaftServices(_group).GetSequence("s").GetCurrentAsync());
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 99 })]
    [InlineData(new byte[] { 3, 0, 5, 0, 0, 0, (byte)'k' })]
    [InlineData(new byte[] { 3, 0, 1, 0, 0, 0, (byte)'k', 255, 255, 255, 127 })]
    [InlineData(new byte[] { 1, 1, 0, 0, 0, (byte)'k' })]
    public async Task A_malformed_command_is_answered_and_changes_nothing(byte[] command)
    {
        await _kv.PutStringAsync("k", "v");
        var snapshotBefore = SnapshotBytes();

        var result = _group.StateMachine.Apply(new Entry { Index = 99, Term = 1, Data = command });

        Assert.Throws<ProtocolException>(() => ServiceResult.Open(result.Span));
        Assert.Equal(snapshotBefore, SnapshotBytes());
    }

    [Fact]
    public async Task A_malformed_query_is_answered_not_thrown()
    {
        var result = await _group.ReadAsync(new byte[] { (byte)ServiceOp.KvPut, 0 });

        Assert.Throws<ProtocolException>(() => ServiceResult.Open(result.Span));
    }

    internal static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private static string? Text(byte[]? value) => value is null ? null : Encoding.UTF8.GetString(value);

    private static string[] Keys(IReadOnlyList<KvEntry> entries) => [.. entries.Select(e => e.Key)];

    private byte[] SnapshotBytes()
    {
        using var snapshot = _group.StateMachine.TakeSnapshot();
        using var stream = new MemoryStream();
        snapshot.WriteTo(stream);
        return stream.ToArray();
    }
}
