using Raft.Actors.Testing.Linearizability;

namespace Raft.Actors.Tests.Linearizability;

/// <summary>Short constructors for hand-written histories.</summary>
internal static class Ops
{
    public static KvOperation Put(int client, string key, string? value, long invokedAt, long completedAt) =>
        new(client, KvOpKind.Put, key, value, null, invokedAt, completedAt, OpOutcome.Ok, null, false);

    public static KvOperation FailedPut(int client, string key, string? value, long invokedAt, long completedAt) =>
        new(client, KvOpKind.Put, key, value, null, invokedAt, completedAt, OpOutcome.Failed, null, false);

    public static KvOperation UnknownPut(int client, string key, string? value, long invokedAt) =>
        new(client, KvOpKind.Put, key, value, null, invokedAt, 0, OpOutcome.Unknown, null, false);

    public static KvOperation Get(int client, string key, string? output, long invokedAt, long completedAt) =>
        new(client, KvOpKind.Get, key, null, null, invokedAt, completedAt, OpOutcome.Ok, output, false);

    public static KvOperation UnknownGet(int client, string key, string? output, long invokedAt) =>
        new(client, KvOpKind.Get, key, null, null, invokedAt, 0, OpOutcome.Unknown, output, false);

    public static KvOperation Cas(int client, string key, string? expected, string? value, bool applied, long invokedAt, long completedAt) =>
        new(client, KvOpKind.Cas, key, value, expected, invokedAt, completedAt, OpOutcome.Ok, null, applied);

    public static KvOperation UnknownCas(int client, string key, string? expected, string? value, long invokedAt) =>
        new(client, KvOpKind.Cas, key, value, expected, invokedAt, 0, OpOutcome.Unknown, null, false);
}
