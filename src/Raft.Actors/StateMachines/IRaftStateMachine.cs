using Raft.Actors.Protocol;

namespace Raft.Actors.StateMachines;

/// <summary>
/// The replicated application. Every replica applies the same committed commands in the same
/// order, so <see cref="Apply"/> must be deterministic: no clocks, randomness or I/O whose
/// result depends on the replica.
/// </summary>
/// <remarks>
/// Called by one replica loop at a time, never concurrently. An exception thrown by
/// <see cref="Apply"/> stops the replica with a fault (it does not skip the command): a
/// replica that skipped a command would diverge from its peers.
/// </remarks>
public interface IRaftStateMachine
{
    /// <summary>Applies a committed command and returns the result handed to the proposer.</summary>
    ReadOnlyMemory<byte> Apply(Entry entry);

    /// <summary>Answers a read-only query against the applied state.</summary>
    ReadOnlyMemory<byte> Query(ReadOnlyMemory<byte> query);

    /// <summary>
    /// Captures the state as of the last applied entry, cheaply (copy-on-write, a frozen view,
    /// a copy). The capture is written out later, possibly on another thread, while
    /// <see cref="Apply"/> goes on: it must not see later changes.
    /// </summary>
    IStateMachineSnapshot TakeSnapshot();

    /// <summary>Replaces the whole state with the one a snapshot's <see cref="IStateMachineSnapshot.WriteTo"/> wrote.</summary>
    void Restore(Stream snapshot);
}

/// <summary>A frozen state captured by <see cref="IRaftStateMachine.TakeSnapshot"/>.</summary>
public interface IStateMachineSnapshot : IDisposable
{
    /// <summary>Writes the captured state. May run on any thread, concurrently with applies.</summary>
    void WriteTo(Stream destination);
}
