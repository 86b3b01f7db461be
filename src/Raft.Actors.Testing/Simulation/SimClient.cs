using Raft.Actors.StateMachines;
using Raft.Actors.Testing.Linearizability;

namespace Raft.Actors.Testing.Simulation;

/// <summary>A simulated client: one operation at a time, retried across nodes until it completes or times out.</summary>
internal sealed class SimClient(int id)
{
    public int Id { get; } = id;

    /// <summary>Session id used for at-most-once application of retried writes.</summary>
    public ulong SessionId => (ulong)(1000 + Id);

    public ulong Sequence { get; set; }

    public long Attempt { get; set; }

    public ulong TargetNode { get; set; }

    public bool Busy { get; set; }

    /// <summary>A scripted client (targeted scenarios): it asks only the node its script names and starts nothing by itself.</summary>
    public bool Pinned { get; init; }

    public KvOpKind Kind { get; set; }

    public string Key { get; set; } = "";

    public string? Value { get; set; }

    public string? Expected { get; set; }

    public long InvokedAt { get; set; }

    public int Written { get; set; }

    /// <summary>The last value this client saw per key (what a CAS expects).</summary>
    public Dictionary<string, string?> LastSeen { get; } = [];

    /// <summary>Services workload: the service operation in flight (null: a <see cref="Kind"/> operation on the KV state machine).</summary>
    public ServiceCall? Call { get; set; }

    /// <summary>Services workload: the lock this client believes it holds, with its token, or null.</summary>
    public (string Lock, long Token)? Held { get; set; }

    /// <summary>Services workload: a holder that stopped renewing (as after a long pause) and keeps writing with its token.</summary>
    public bool Stalled { get; set; }

    /// <summary>Services workload: the client's wall clock, the virtual time off by a fixed skew; lock commands carry it.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Whether the operation in flight is a linearizable read (a read index, then a query) rather than a proposal.</summary>
    public bool IsRead => Call?.Kind == ServiceCallKind.Get || (Call is null && Kind == KvOpKind.Get);

    /// <summary>The query a read asks of the state machine once applied reaches its read index.</summary>
    public byte[] ReadQuery() => Call?.Bytes ?? new KvCommand(KvCommandType.Get, Key).Encode();

    public byte[] EncodeCommand() => Call?.Bytes ?? Kind switch
    {
        KvOpKind.Put => new KvCommand(KvCommandType.Put, Key, Value).Encode(),
        KvOpKind.Cas => new KvCommand(KvCommandType.CompareAndSet, Key, Value, Expected).Encode(),
        _ => new KvCommand(KvCommandType.Get, Key).Encode(),
    };
}

/// <summary>What a node answered a client.</summary>
internal enum ClientReply
{
    Ok,
    NotLeader,
    Dropped,
}
