namespace Raft.Actors.Services;

/// <summary>
/// Deliberately wrong rules of <see cref="ServiceStateMachine"/> that prove the simulator's
/// service checkers can fail (as <c>Consensus.PlantedBug</c> does for the core). Internal:
/// reachable only from Raft.Actors.Testing and the tests, never from a user's configuration.
/// </summary>
[Flags]
internal enum ServicePlantedBug
{
    None = 0,

    /// <summary>
    /// A fenced write passes with any token its lock ever issued, not only the latest: the
    /// "was it issued?" check mistaken for "is it current?", which lets a holder that was taken
    /// over keep writing (Jepsen on etcd 3.4.3 locks).
    /// </summary>
    StaleFence = 1,

    /// <summary>
    /// Snapshots leave the sequences out: a replica restored from one hands out numbers again.
    /// </summary>
    SequencesNotSnapshotted = 2,
}
