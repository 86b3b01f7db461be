using System.Collections.Immutable;
using MessagePack;

namespace Raft.Actors.Protocol;

/// <summary>
/// A group's membership: the voters that form quorums, the learners that only receive the log,
/// and the disk each member was first seen with. Node ids are stable configured ids (never
/// transport addresses); 0 is never a node.
/// </summary>
/// <remarks>
/// During a joint change (Raft thesis §4.3) <see cref="VotersOutgoing"/> holds the old voters:
/// an election or a commit then needs a majority of <see cref="Voters"/> and, separately, of
/// <see cref="VotersOutgoing"/>. Lists are kept sorted, so equal memberships are equal records.
/// </remarks>
[MessagePackObject]
public sealed record ConfState
{
    /// <summary>Members whose votes and acknowledgements count (the incoming voters during a joint change).</summary>
    [Key(0)] public ImmutableArray<ulong> Voters { get; init; } = [];

    /// <summary>Members that replicate the log but never vote and are never counted.</summary>
    [Key(1)] public ImmutableArray<ulong> Learners { get; init; } = [];

    /// <summary>The voters before a joint change; empty when the configuration is not joint.</summary>
    [Key(2)] public ImmutableArray<ulong> VotersOutgoing { get; init; } = [];

    /// <summary>
    /// The disk id each member's storage had when the group first heard from it, sorted by node.
    /// A member that answers with another disk id lost its disk and is refused (it must rejoin
    /// under a new id); a record outlives the member's removal, so a wiped node cannot sneak back.
    /// </summary>
    [Key(3)] public ImmutableArray<MemberDisk> Disks { get; init; } = [];

    /// <summary>A configuration of voters only.</summary>
    public static ConfState OfVoters(params ulong[] voters) => new() { Voters = [.. voters.Order()] };

    /// <summary>True while a joint change is in progress.</summary>
    [IgnoreMember] public bool IsJoint => !VotersOutgoing.IsDefaultOrEmpty;

    /// <summary>True when <paramref name="id"/> is a voter (incoming or outgoing) or a learner.</summary>
    public bool Contains(ulong id) => IsVoter(id) || Learners.Contains(id);

    /// <summary>True when <paramref name="id"/> votes in the incoming or the outgoing voters.</summary>
    public bool IsVoter(ulong id) => Voters.Contains(id) || (!VotersOutgoing.IsDefault && VotersOutgoing.Contains(id));

    /// <summary>Every member once: voters, outgoing voters, learners.</summary>
    public IEnumerable<ulong> Members() => Voters.Concat(VotersOutgoing.IsDefault ? [] : VotersOutgoing).Concat(Learners).Distinct();

    /// <summary>The disk id recorded for <paramref name="id"/>, or 0 when none is.</summary>
    public ulong DiskOf(ulong id)
    {
        if (Disks.IsDefault)
        {
            return 0;
        }

        foreach (var d in Disks)
        {
            if (d.NodeId == id)
            {
                return d.DiskId;
            }
        }

        return 0;
    }

    /// <summary>Structural equality over every list.</summary>
    public bool Equals(ConfState? other) =>
        other is not null && Same(Voters, other.Voters) && Same(Learners, other.Learners) &&
        Same(VotersOutgoing, other.VotersOutgoing) && Same(Disks, other.Disks);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Voters.Length, Learners.Length);

    /// <inheritdoc />
    public override string ToString() =>
        $"voters=[{string.Join(",", Voters)}]" +
        (IsJoint ? $" outgoing=[{string.Join(",", VotersOutgoing)}]" : "") +
        $" learners=[{string.Join(",", Learners)}]";

    private static bool Same<T>(ImmutableArray<T> a, ImmutableArray<T> b) =>
        (a.IsDefault ? [] : a).SequenceEqual(b.IsDefault ? [] : b);
}

/// <summary>A member and the disk id its storage drew when it was created.</summary>
/// <param name="NodeId">The member.</param>
/// <param name="DiskId">Its storage's id (never 0).</param>
[MessagePackObject]
public readonly record struct MemberDisk([property: Key(0)] ulong NodeId, [property: Key(1)] ulong DiskId);
