using MessagePack;

namespace Raft.Actors.Protocol;

/// <summary>What a snapshot covers: the last entry it includes and the membership at that point.</summary>
[MessagePackObject]
public sealed record SnapshotMetadata
{
    /// <summary>Index of the last entry the snapshot includes.</summary>
    [Key(0)] public ulong Index { get; init; }

    /// <summary>Term of that entry.</summary>
    [Key(1)] public ulong Term { get; init; }

    /// <summary>Membership as of <see cref="Index"/>.</summary>
    [Key(2)] public ConfState ConfState { get; init; } = new();
}
