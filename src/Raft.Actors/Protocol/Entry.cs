using MessagePack;

namespace Raft.Actors.Protocol;

/// <summary>What an <see cref="Entry"/> carries.</summary>
public enum EntryType : byte
{
    /// <summary>A client command for the state machine (an empty one is a leader's no-op).</summary>
    Normal = 0,

    /// <summary>A membership change; applied by the consensus core, not the state machine.</summary>
    ConfChange = 1,
}

/// <summary>
/// One record of the replicated log. Immutable: the same instance may be held by the
/// core, a storage batch and an outgoing message at once.
/// </summary>
[MessagePackObject]
public sealed record Entry
{
    /// <summary>Position in the log, starting at 1.</summary>
    [Key(0)] public ulong Index { get; init; }

    /// <summary>The leader term in which the entry was created.</summary>
    [Key(1)] public ulong Term { get; init; }

    /// <summary>What the payload is.</summary>
    [Key(2)] public EntryType Type { get; init; }

    /// <summary>
    /// Client session that proposed it (0 = none). With <see cref="Sequence"/> it lets the
    /// applier apply a retried proposal at most once.
    /// </summary>
    [Key(3)] public ulong ClientId { get; init; }

    /// <summary>Per-client increasing number of the proposal (0 = none).</summary>
    [Key(4)] public ulong Sequence { get; init; }

    /// <summary>The command bytes (empty for a leader's no-op).</summary>
    [Key(5)] public ReadOnlyMemory<byte> Data { get; init; }

    /// <summary>True for the empty entry a new leader appends to commit its term (Raft §8).</summary>
    [IgnoreMember] public bool IsNoOp => Type == EntryType.Normal && Data.IsEmpty && ClientId == 0;

    /// <summary>Approximate size used for flow control and batching limits.</summary>
    [IgnoreMember] public long Size => 32 + Data.Length;

    /// <summary>Equality by content, payload bytes included.</summary>
    public bool Equals(Entry? other) =>
        other is not null && Index == other.Index && Term == other.Term && Type == other.Type &&
        ClientId == other.ClientId && Sequence == other.Sequence && Data.Span.SequenceEqual(other.Data.Span);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Index, Term, Type, ClientId, Sequence, Data.Length);

    /// <inheritdoc />
    public override string ToString() => $"{Index}@{Term}{(Type == EntryType.ConfChange ? " conf" : "")} ({Data.Length} B)";
}
