using Microsoft.Extensions.Options;
using Orleans.Journaling;
using Raft.Actors.Services;

namespace Raft.Orleans.Journaling.Storage;

/// <summary>
/// An <see cref="IJournalStorageProvider"/> (Microsoft.Orleans.Journaling, experimental) whose
/// journals live in the Raft services group's replicated key-value store: appends, replaces and
/// deletes are Raft proposals conditional on the version the writer last saw; reads are
/// linearizable. Registered by <c>siloBuilder.AddRaftJournalStorage()</c>.
/// </summary>
/// <remarks>Thread-safe; each storage instance it creates serves one journal owner.</remarks>
public sealed class RaftJournalStorageProvider : IJournalStorageProvider
{
    private readonly string _name;
    private readonly IReplicatedKv _kv;
    private readonly string _formatKey;

    /// <summary>Creates the provider named <paramref name="name"/> over <paramref name="kv"/>, stamping journals with the configured journal format.</summary>
    public RaftJournalStorageProvider(string name, IReplicatedKv kv, IOptions<JournaledStateManagerOptions> options)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(kv);
        ArgumentNullException.ThrowIfNull(options);
        _name = name;
        _kv = kv;
        _formatKey = options.Value.JournalFormatKey;
    }

    /// <inheritdoc />
    public IJournalStorage CreateStorage(JournalId journalId) => new RaftJournalStorage(_kv, JournalKeys.For(_name, journalId), _formatKey);
}
