using System.Buffers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Journaling;
using Orleans.Storage;
using Raft.Actors.Services;
using Raft.Orleans.Journaling.Storage;

namespace Raft.Orleans.Tests.Journaling;

/// <summary>The journal storage contract, on the Raft services of a running cluster: conditional writes, metadata, delete.</summary>
[Collection(SharedClusterCollection.Name)]
public sealed class RaftJournalStorageTests(SharedCluster shared)
{
    private static readonly TimeSpan s_call = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_writer_that_missed_another_writers_change_is_refused_and_changes_nothing()
    {
        var id = new JournalId($"stale/{Guid.NewGuid():N}");
        var a = Provider().CreateStorage(id);
        var b = Provider().CreateStorage(id);
        Assert.True(await a.CreateIfNotExistsAsync(new Dictionary<string, string> { ["owner"] = "a" }, default).AsTask().WaitAsync(s_call));
        Assert.False(await b.CreateIfNotExistsAsync(new Dictionary<string, string> { ["owner"] = "b" }, default).AsTask().WaitAsync(s_call));
        Assert.Empty((await ReadAsync(b)).Bytes);

        await a.AppendAsync(Bytes("one;"), default);
        await Assert.ThrowsAsync<InconsistentStateException>(async () => await b.AppendAsync(Bytes("stale;"), default));
        await Assert.ThrowsAsync<InconsistentStateException>(async () => await b.ReplaceAsync(Bytes("stale;"), default));
        await Assert.ThrowsAsync<InconsistentStateException>(async () => await b.DeleteAsync(default));
        var read = await ReadAsync(Provider().CreateStorage(id));
        Assert.Equal("one;", read.Text);
        Assert.Equal("a", read.Metadata!.Properties["owner"]);
        Assert.Equal(JournaledStateManagerOptionsFormat(), read.Metadata.FormatKey);

        // Once it has read what the other wrote, the second writer may write; now the first one is behind.
        Assert.Equal("one;", (await ReadAsync(b)).Text);
        await b.AppendAsync(Bytes("two;"), default);
        await Assert.ThrowsAsync<InconsistentStateException>(async () => await a.AppendAsync(Bytes("late;"), default));
        Assert.Equal("one;two;", (await ReadAsync(Provider().CreateStorage(id))).Text);

        await b.ReplaceAsync(Bytes("snapshot;"), default);
        await b.AppendAsync(Bytes("three;"), default);
        Assert.Equal("snapshot;three;", (await ReadAsync(Provider().CreateStorage(id))).Text);
    }

    [Fact]
    public async Task Metadata_updates_are_conditional_on_their_etag_and_do_not_fence_the_writer()
    {
        var id = new JournalId($"meta/{Guid.NewGuid():N}");
        var writer = Provider().CreateStorage(id);
        Assert.Null(await writer.GetMetadataAsync(default));
        Assert.Null(await writer.UpdateMetadataAsync(new Dictionary<string, string> { ["k"] = "v" }, null, null, default));
        await writer.AppendAsync(Bytes("x;"), default);

        var before = await writer.GetMetadataAsync(default);
        var updated = await Provider().CreateStorage(id).UpdateMetadataAsync(new Dictionary<string, string> { ["k"] = "v" }, null, before!.ETag, default);
        Assert.NotNull(updated);
        Assert.Equal("v", updated.Properties["k"]);
        Assert.NotEqual(before.ETag, updated.ETag);
        Assert.Null(await writer.UpdateMetadataAsync(null, ["k"], before.ETag, default));
        Assert.Equal("v", (await writer.GetMetadataAsync(default))!.Properties["k"]);

        await writer.AppendAsync(Bytes("y;"), default);
        Assert.Equal("x;y;", (await ReadAsync(Provider().CreateStorage(id))).Text);

        await writer.DeleteAsync(default);
        Assert.Null(await Provider().CreateStorage(id).GetMetadataAsync(default));
        var gone = await ReadAsync(Provider().CreateStorage(id));
        Assert.Empty(gone.Bytes);
        // "No metadata" is null or JournalMetadata.Empty (IJournalStorage.ReadAsync's contract).
        Assert.True(gone.Metadata is null || (gone.Metadata.ETag is null && gone.Metadata.FormatKey is null && gone.Metadata.Properties.Count == 0), "a deleted journal reads back with no metadata");
    }

    [Fact]
    public async Task A_long_journal_asks_for_compaction_and_reads_back_in_order()
    {
        var storage = Provider().CreateStorage(new JournalId($"long/{Guid.NewGuid():N}"));
        var expected = new StringBuilder();
        for (var i = 0; i < RaftJournalStorage.CompactAfterChunks; i++)
        {
            Assert.False(storage.IsCompactionRequested);
            await storage.AppendAsync(Bytes($"{i};"), default);
            expected.Append($"{i};");
        }

        Assert.True(storage.IsCompactionRequested);
        Assert.Equal(expected.ToString(), (await ReadAsync(storage)).Text);
        await storage.ReplaceAsync(Bytes("all;"), default);
        Assert.False(storage.IsCompactionRequested);
    }

    private static string JournaledStateManagerOptionsFormat() => new JournaledStateManagerOptions().JournalFormatKey;

    private static ReadOnlySequence<byte> Bytes(string text) => new(Encoding.UTF8.GetBytes(text));

    private static async Task<Collected> ReadAsync(IJournalStorage storage)
    {
        var consumer = new Collected();
        await storage.ReadAsync(consumer, default).AsTask().WaitAsync(s_call);
        Assert.True(consumer.Completed);
        return consumer;
    }

    private RaftJournalStorageProvider Provider() => new(
        "test",
        shared.Cluster.Silos.First().SiloHost.Services.GetRequiredService<IReplicatedKv>(),
        Options.Create(new JournaledStateManagerOptions()));

    private sealed class Collected : IJournalStorageConsumer
    {
        private readonly MemoryStream _bytes = new();

        public IJournalMetadata? Metadata { get; private set; }

        public bool Completed { get; private set; }

        public byte[] Bytes => _bytes.ToArray();

        public string Text => Encoding.UTF8.GetString(Bytes);

        public void Read(JournalBufferReader buffer, IJournalMetadata? metadata)
        {
            Metadata = metadata;
            var data = buffer.ToArray();
            _bytes.Write(data);
            buffer.Skip(data.Length);
            Completed |= buffer.IsCompleted;
        }
    }
}
