namespace Raft.Actors.Snapshots;

/// <summary>Names a snapshot by the last index and term it covers.</summary>
/// <param name="Index">Index of the last entry the snapshot includes.</param>
/// <param name="Term">Term of that entry.</param>
public readonly record struct SnapshotId(ulong Index, ulong Term) : IComparable<SnapshotId>
{
    /// <summary>Orders by index, then term: the newer snapshot sorts after.</summary>
    public int CompareTo(SnapshotId other)
    {
        var byIndex = Index.CompareTo(other.Index);
        return byIndex != 0 ? byIndex : Term.CompareTo(other.Term);
    }

    /// <inheritdoc />
    public override string ToString() => $"index {Index} term {Term}";
}
