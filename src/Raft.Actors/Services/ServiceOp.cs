namespace Raft.Actors.Services;

/// <summary>
/// The first byte of every command and query of <see cref="ServiceStateMachine"/>. Commands
/// live in the durable log and are replayed by later versions: an existing code never changes
/// its layout; a new layout gets a new code.
/// </summary>
internal enum ServiceOp : byte
{
    KvGet = 1,
    KvScan = 2,
    KvPut = 3,
    KvDelete = 4,
    KvPutIfAbsent = 5,
    KvCompareAndPut = 6,
    KvGetAndPut = 7,
    KvBatch = 8,

    LockAcquire = 20,
    LockRenew = 21,
    LockRelease = 22,
    LockState = 23,

    SequenceNext = 30,
    SequenceCurrent = 31,
}

/// <summary>The first byte of every result of <see cref="ServiceStateMachine"/>.</summary>
internal enum ServiceStatus : byte
{
    /// <summary>Done; the op's payload follows.</summary>
    Ok = 0,

    /// <summary>The bytes were not a command of this format (a message follows). Nothing changed.</summary>
    Malformed = 1,

    /// <summary>A well-formed command with an argument out of range (a message follows). Nothing changed.</summary>
    Invalid = 2,

    /// <summary>A fenced write whose token is not the lock's latest (lock name and latest token follow). Nothing changed.</summary>
    FenceRejected = 3,
}
