using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Serialization.Serializers;
using Orleans.Storage;
using Raft.Actors.Services;
using Raft.Orleans.Runtime;

namespace Raft.Orleans.Storage;

/// <summary>
/// Grain state kept in Raft groups: each grain's state (provider name, state name, grain id) is
/// a key of <see cref="GrainStateMachine"/> in the group its hash maps to. A write is a proposal
/// that applies only if the grain's ETag is the record's version; reads are linearizable
/// (ReadIndex through the group's leader), so a grain reactivated on another silo reads every
/// write acknowledged before.
/// </summary>
/// <remarks>
/// A write or clear whose outcome is unknown (the leader failed mid-way, a timeout) throws
/// <see cref="Actors.Protocol.UnknownOutcomeException"/>: it may still apply. Within one call the
/// router retries it under one proposal id, so it applies at most once. Thread-safe.
/// </remarks>
internal sealed partial class RaftGrainStorage(string name, RaftGrainStorageOptions options, RaftSilo silo, IActivatorProvider activators, ILogger<RaftGrainStorage> logger) : IGrainStorage
{
    private readonly ProposalSessions _sessions = new();

    /// <inheritdoc />
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = Key(stateName, grainId);
        var record = GrainStateCommand.ReadRecord(await Group(key).ReadAsync(GrainStateCommand.Read(key)).ConfigureAwait(false));
        grainState.ETag = ETagOf(record.Version);
        grainState.RecordExists = record.Kind == GrainRecordKind.Present;
        grainState.State = (record.Kind == GrainRecordKind.Present ? options.GrainStorageSerializer.Deserialize<T>(record.Data) : default) ?? Create<T>();
    }

    /// <inheritdoc />
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = Key(stateName, grainId);
        var expected = VersionOf(grainState.ETag, key);
        var state = options.GrainStorageSerializer.Serialize(grainState.State);
        var outcome = await ProposeAsync(key, GrainStateCommand.Write(key, expected, state.ToMemory().Span)).ConfigureAwait(false);
        ThrowOnMismatch(outcome, key, grainState.ETag, "write");
        grainState.ETag = ETagOf(outcome.Version);
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = Key(stateName, grainId);
        var outcome = await ProposeAsync(key, GrainStateCommand.Clear(key, VersionOf(grainState.ETag, key))).ConfigureAwait(false);
        ThrowOnMismatch(outcome, key, grainState.ETag, "clear");
        grainState.ETag = ETagOf(outcome.Version);
        grainState.RecordExists = false;
        grainState.State = Create<T>();
    }

    private static string? ETagOf(ulong version) => version == 0 ? null : version.ToString(CultureInfo.InvariantCulture);

    private static ulong VersionOf(string? etag, string key)
    {
        if (string.IsNullOrEmpty(etag))
        {
            return 0;
        }

        return ulong.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0
            ? version
            : throw new InconsistentStateException($"Grain state {key}: ETag \"{etag}\" is not one this storage issued.", storedEtag: null, currentEtag: etag);
    }

    private static void ThrowOnMismatch(GrainStateOutcome outcome, string key, string? etag, string what)
    {
        switch (outcome.Status)
        {
            case GrainStateStatus.Ok:
                return;
            case GrainStateStatus.VersionMismatch:
                throw new InconsistentStateException(
                    $"Grain state {key}: the {what} expected ETag {etag ?? "(none)"}, but the stored state has ETag {ETagOf(outcome.Version) ?? "(none)"}.",
                    storedEtag: ETagOf(outcome.Version),
                    currentEtag: etag);
            default:
                throw new InvalidOperationException($"Grain state {key}: the replicas could not decode the {what} command.");
        }
    }

    private async Task<GrainStateOutcome> ProposeAsync(string key, byte[] command)
    {
        using var lease = _sessions.Rent();
        var result = await Group(key).ProposeAsync(command, lease.Id).ConfigureAwait(false);
        return GrainStateCommand.ReadOutcome(result.Span);
    }

    private ReplicaGroupClient Group(string key)
    {
        var client = silo.Router.ForKey(Encoding.UTF8.GetBytes(key));
        LogRoute(key, client.Group);
        return client;
    }

    private string Key(string stateName, GrainId grainId) => $"{name}/{stateName}/{grainId}";

    private T Create<T>() => activators.GetActivator<T>().Create();

    [LoggerMessage(Level = LogLevel.Trace, Message = "Grain state {Key} lives in group {Group}")]
    private partial void LogRoute(string key, ulong group);
}
