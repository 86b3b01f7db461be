using System.Collections.Immutable;
using MessagePack;

namespace Raft.Actors.Protocol;

/// <summary>
/// A group's membership: the voters that form quorums and the learners that only receive the
/// log. Node ids are stable configured ids (never transport addresses); 0 is never a node.
/// </summary>
[MessagePackObject]
public sealed record ConfState
{
    /// <summary>Members whose votes and acknowledgements count.</summary>
    [Key(0)] public ImmutableArray<ulong> Voters { get; init; } = [];

    /// <summary>Members that replicate the log but never vote and are never counted.</summary>
    [Key(1)] public ImmutableArray<ulong> Learners { get; init; } = [];

    /// <summary>A configuration of voters only.</summary>
    public static ConfState OfVoters(params ulong[] voters) => new() { Voters = [.. voters] };

    /// <summary>True when <paramref name="id"/> is a voter or a learner.</summary>
    public bool Contains(ulong id) => Voters.Contains(id) || Learners.Contains(id);

    /// <summary>Structural equality over the member lists.</summary>
    public bool Equals(ConfState? other) =>
        other is not null && Voters.SequenceEqual(other.Voters) && Learners.SequenceEqual(other.Learners);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Voters.Length, Learners.Length);

    /// <inheritdoc />
    public override string ToString() =>
        $"voters=[{string.Join(",", Voters)}] learners=[{string.Join(",", Learners)}]";
}
