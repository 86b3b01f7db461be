using Raft.Actors.Protocol;
using Raft.Actors.StateMachines;

namespace Raft.Actors.Services;

/// <summary>
/// The replicated services of one group in one state machine, after RheaKV: an ordered
/// key-value store (<see cref="IReplicatedKv"/>), leased locks with fencing tokens
/// (<see cref="IDistributedLock"/>) and sequences (<see cref="ISequence"/>). Commands are
/// namespaced by their first byte; one snapshot holds all three. Clients reach it through
/// <see cref="RaftServices"/>.
/// </summary>
/// <remarks>
/// <para>Deterministic, as every state machine must be: it never reads a clock. Lock commands
/// carry the proposer's wall-clock time, and a lock's time is the latest stamp any command on it
/// carried, so a late or slow proposer cannot move it backwards (see docs/services.md).</para>
/// <para>A malformed or out-of-range command is answered with an error result and changes
/// nothing; it does not fault the replica, since every replica would fault on it alike.</para>
/// <para>Called by one replica loop at a time; not thread-safe on its own.</para>
/// </remarks>
public sealed partial class ServiceStateMachine : IRaftStateMachine
{
    /// <summary>Deliberately wrong rules to switch on; the simulator's tests only.</summary>
    internal ServicePlantedBug PlantedBugs { get; init; }

    /// <inheritdoc />
    public ReadOnlyMemory<byte> Apply(Entry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return Dispatch(entry.Data.Span, isCommand: true);
    }

    /// <inheritdoc />
    public ReadOnlyMemory<byte> Query(ReadOnlyMemory<byte> query) => Dispatch(query.Span, isCommand: false);

    private byte[] Dispatch(ReadOnlySpan<byte> bytes, bool isCommand)
    {
        try
        {
            var reader = new CommandReader(bytes);
            var op = (ServiceOp)reader.ReadByte();
            return (isCommand, op) switch
            {
                (false, ServiceOp.KvGet) => KvGet(ref reader),
                (false, ServiceOp.KvScan) => KvScan(ref reader),
                (true, ServiceOp.KvPut or ServiceOp.KvDelete or ServiceOp.KvPutIfAbsent or ServiceOp.KvCompareAndPut or ServiceOp.KvGetAndPut) => KvWrite(op, ref reader),
                (true, ServiceOp.KvBatch) => KvBatch(ref reader),
                (true, ServiceOp.LockAcquire) => LockAcquire(ref reader),
                (true, ServiceOp.LockRenew) => LockRenew(ref reader),
                (true, ServiceOp.LockRelease) => LockRelease(ref reader),
                (false, ServiceOp.LockState) => LockStateQuery(ref reader),
                (true, ServiceOp.SequenceNext) => SequenceNext(ref reader),
                (false, ServiceOp.SequenceCurrent) => SequenceCurrent(ref reader),
                _ => throw new FormatException(isCommand ? $"Operation {(byte)op} is not a command." : $"Operation {(byte)op} is not a query."),
            };
        }
        catch (FormatException ex)
        {
            return ServiceResult.Error(ServiceStatus.Malformed, ex.Message);
        }
    }
}
