using System.Collections.Immutable;
using MessagePack;

namespace Raft.Actors.Protocol;

/// <summary>What one <see cref="ConfChangeItem"/> does. Values are part of the log format.</summary>
public enum ConfChangeType : byte
{
    /// <summary>Makes the node a voter: a new member, or a learner promoted in the same change.</summary>
    AddVoter = 1,

    /// <summary>Makes a new node a learner (a voter cannot be demoted, and a removed node never comes back under its old id).</summary>
    AddLearner = 2,

    /// <summary>Removes a voter or a learner.</summary>
    Remove = 3,

    /// <summary>Records the disk id a member answered with (proposed by the leader, not by users).</summary>
    RecordDisk = 4,
}

/// <summary>How a change with several voter changes is carried out.</summary>
public enum ConfChangeTransition : byte
{
    /// <summary>
    /// A change of at most one voter takes effect at once; a larger one goes through a joint
    /// configuration that the leader leaves automatically once it commits (thesis §4.3).
    /// </summary>
    Auto = 0,

    /// <summary>Always through a joint configuration, left automatically.</summary>
    Joint = 1,
}

/// <summary>One node's part of a <see cref="ConfChange"/>.</summary>
/// <param name="Type">What happens to the node.</param>
/// <param name="NodeId">The node (never 0).</param>
/// <param name="DiskId">For <see cref="ConfChangeType.RecordDisk"/>: the disk id to record.</param>
[MessagePackObject]
public sealed record ConfChangeItem(
    [property: Key(0)] ConfChangeType Type,
    [property: Key(1)] ulong NodeId,
    [property: Key(2)] ulong DiskId = 0);

/// <summary>
/// A membership change as proposed to the leader, which checks it against the configuration
/// in force and appends the configuration it leads to (see <see cref="ConfigurationCodec"/>).
/// That takes effect on every node as soon as the node appends the entry (thesis §4.1),
/// committed or not; a truncated entry takes its configuration back with it. An empty change
/// leaves a joint configuration.
/// </summary>
[MessagePackObject]
public sealed record ConfChange
{
    /// <summary>The node changes, applied in order.</summary>
    [Key(0)] public ImmutableArray<ConfChangeItem> Items { get; init; } = [];

    /// <summary>Whether several voter changes go through a joint configuration.</summary>
    [Key(1)] public ConfChangeTransition Transition { get; init; }

    /// <summary>The change that leaves a joint configuration.</summary>
    public static ConfChange LeaveJoint { get; } = new();

    /// <summary>A change of the given items.</summary>
    public static ConfChange Of(params ConfChangeItem[] items) => new() { Items = [.. items] };

    /// <inheritdoc />
    public bool Equals(ConfChange? other) =>
        other is not null && Transition == other.Transition && Items.SequenceEqual(other.Items);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Items.Length, Transition);

    /// <inheritdoc />
    public override string ToString() =>
        Items.IsDefaultOrEmpty ? "leave joint" : string.Join(", ", Items.Select(i => $"{i.Type} {i.NodeId}"));
}
