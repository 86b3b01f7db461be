namespace Raft.Actors.Services;

/// <summary>The outcome of <see cref="IReplicatedKv.BatchAsync"/>.</summary>
/// <param name="FailedIndex">The position of the compare that failed (and so nothing applied), or −1.</param>
public readonly record struct KvBatchResult(int FailedIndex)
{
    /// <summary>True when every operation applied.</summary>
    public bool Applied => FailedIndex < 0;
}
