using System.Text;
using Raft.Actors.Protocol;
using Raft.Actors.Services;
using Raft.Actors.Testing.Linearizability;
using Raft.Actors.Testing.Services;

namespace Raft.Actors.Testing.Simulation;

/// <summary>
/// The services workload: the replicas run the real <see cref="ServiceStateMachine"/>, and the
/// clients send what the real service clients send (the same encoders, <see cref="ReplicatedKv"/>,
/// <see cref="ReplicatedSequence"/>, <see cref="DistributedLock"/>) and read the answers with the
/// same decoders. KV operations go to the linearizability checker; sequence ranges to
/// <see cref="SequenceChecker"/>; lock grants and fenced writes, as the replicas apply them, to
/// <see cref="LockChecker"/>. Lock commands carry each client's wall clock, the virtual time off
/// by a fixed skew (<see cref="VirtualClock"/>), so leases run out in virtual time.
/// </summary>
public sealed partial class RaftSimulation
{
    private const int ServiceLocks = 2;
    private const int ServiceSequences = 2;
    private const long MaxClockSkewMilliseconds = 20;

    private readonly List<SequenceOperation> _sequenceHistory = [];
    private readonly List<LockAcquisition> _acquisitions = [];
    private readonly LockChecker _locks = new();
    private readonly Dictionary<(ulong Session, ulong Sequence), ServiceCall> _calls = [];
    private readonly Dictionary<ulong, byte[]> _appliedResults = [];
    private readonly Dictionary<ulong, ulong> _appliedSequenceOfSession = [];
    private int _serviceCalls;
    private int _serviceCallsOk;
    private int _serviceCallsUnknown;

    private static string LockName(int i) => "lock" + i;

    private static string FencedKey(string lockName) => "fenced-" + lockName;

    private static string? Text(byte[]? value) => value is null ? null : Encoding.UTF8.GetString(value);

    private SimClient NewServiceClient(int id, ulong target) => new(id)
    {
        TargetNode = target,
        Clock = new VirtualClock(() => _now, _random.Between(-MaxClockSkewMilliseconds, MaxClockSkewMilliseconds + 1)),
    };

    private void StartServiceOperation(SimClient client)
    {
        var call = (client.Held is { } held ? HolderCall(client, held.Lock, held.Token) : null) ?? FreeCall(client);
        client.Call = call;
        Begin(client);
        _calls[(client.SessionId, client.Sequence)] = call;
    }

    /// <summary>
    /// What a client that believes it holds a lock does: fenced writes, renewals, a release, or
    /// something unrelated (null). A stalled holder neither renews nor releases, and writes on
    /// with its token until a write is refused: the holder whose lease ran out behind its back.
    /// </summary>
    private ServiceCall? HolderCall(SimClient client, string lockName, long token)
    {
        var roll = _random.Next(100);
        var owner = Owner(client);
        if (roll < 50)
        {
            var key = FencedKey(lockName);
            var value = NextValue(client);
            var fence = new FencingToken(lockName, token);
            return new ServiceCall(ServiceCallKind.FencedPut, key, ReplicatedKv.PutCommand(key, Encoding.UTF8.GetBytes(value), fence))
            {
                Value = value,
                Lock = lockName,
                Token = token,
            };
        }

        if (client.Stalled || roll >= 85)
        {
            return null;
        }

        return roll < 70
            ? new ServiceCall(ServiceCallKind.Renew, lockName, DistributedLock.RenewCommand(lockName, owner, token, LeaseMilliseconds(), WallClock.Now(client.Clock))) { Owner = owner, Token = token }
            : new ServiceCall(ServiceCallKind.Release, lockName, DistributedLock.ReleaseCommand(lockName, owner, token, WallClock.Now(client.Clock))) { Owner = owner, Token = token };
    }

    private ServiceCall FreeCall(SimClient client)
    {
        var roll = _random.Next(100);
        if (roll < 20)
        {
            var name = "seq" + _random.Next(ServiceSequences);
            return new ServiceCall(ServiceCallKind.SequenceNext, name, ReplicatedSequence.NextCommand(name, 1 + _random.Next(5)));
        }

        if (roll < 40)
        {
            // A holder acquires its own lock again: a re-entrant hold with the same token.
            var name = client.Held?.Lock ?? LockName(_random.Next(ServiceLocks));
            var owner = Owner(client);
            return new ServiceCall(ServiceCallKind.Acquire, name, DistributedLock.AcquireCommand(name, owner, LeaseMilliseconds(), WallClock.Now(client.Clock))) { Owner = owner };
        }

        return KvCall(client);
    }

    /// <summary>A KV operation on one of the keys, or a read of a fenced key.</summary>
    private ServiceCall KvCall(SimClient client)
    {
        var roll = _random.Next(100);
        if (roll < 30)
        {
            var read = _random.Chance(0.25) ? FencedKey(LockName(_random.Next(ServiceLocks))) : "k" + _random.Next(_options.Keys);
            return new ServiceCall(ServiceCallKind.Get, read, ReplicatedKv.GetQuery(read));
        }

        var key = "k" + _random.Next(_options.Keys);
        var value = NextValue(client);
        var bytes = Encoding.UTF8.GetBytes(value);
        if (roll < 45)
        {
            return new ServiceCall(ServiceCallKind.Put, key, ReplicatedKv.PutCommand(key, bytes, null)) { Value = value };
        }

        if (roll < 60)
        {
            var expected = client.LastSeen.GetValueOrDefault(key);
            var expectedBytes = expected is null ? (ReadOnlyMemory<byte>?)null : Encoding.UTF8.GetBytes(expected);
            return new ServiceCall(ServiceCallKind.CompareAndPut, key, ReplicatedKv.CompareAndPutCommand(key, expectedBytes, bytes, null)) { Value = value, Expected = expected };
        }

        return roll switch
        {
            < 70 => new ServiceCall(ServiceCallKind.PutIfAbsent, key, ReplicatedKv.PutIfAbsentCommand(key, bytes, null)) { Value = value },
            < 80 => new ServiceCall(ServiceCallKind.Delete, key, ReplicatedKv.DeleteCommand(key, null)),
            _ => new ServiceCall(ServiceCallKind.GetAndPut, key, ReplicatedKv.GetAndPutCommand(key, bytes, null)) { Value = value },
        };
    }

    private static string Owner(SimClient client) => "owner" + client.Id;

    private static string NextValue(SimClient client) => $"c{client.Id}-{++client.Written}";

    /// <summary>Leases short enough to run out during a run, and now and then during a pause of their holder.</summary>
    private long LeaseMilliseconds() => _random.Between(100, 400);

    /// <summary>
    /// Records a finished service operation in the history its checker reads, and updates what
    /// the client believes it holds. An answer the client cannot read as its operation's result
    /// (malformed, invalid) is a violation: the simulation sends only well-formed commands.
    /// </summary>
    private void RecordServiceCall(SimClient client, ServiceCall call, OpOutcome outcome, ReadOnlyMemory<byte> result)
    {
        _serviceCalls++;
        if (outcome == OpOutcome.Ok && result.IsEmpty)
        {
            // The sessions' answer to a superseded retry: a later command of the client applied first.
            outcome = OpOutcome.Unknown;
        }

        _serviceCallsOk += outcome == OpOutcome.Ok ? 1 : 0;
        _serviceCallsUnknown += outcome == OpOutcome.Unknown ? 1 : 0;
        try
        {
            switch (call.Kind)
            {
                case ServiceCallKind.SequenceNext:
                    var range = outcome == OpOutcome.Ok ? ReplicatedSequence.ReadRange(result) : default;
                    _sequenceHistory.Add(new SequenceOperation(client.Id, call.Name, client.InvokedAt, _now, outcome, range.Start, range.End));
                    break;
                case ServiceCallKind.Acquire or ServiceCallKind.Renew or ServiceCallKind.Release:
                    RecordLockCall(client, call, outcome, result);
                    break;
                default:
                    RecordKvCall(client, call, outcome, result);
                    break;
            }
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or ProtocolException or FencingTokenRejectedException)
        {
            _checker.Report(_now, $"services: client {client.Id}'s {call.Kind} on '{call.Name}' got an answer it cannot read: {ex.Message}");
        }
    }

    private void RecordKvCall(SimClient client, ServiceCall call, OpOutcome outcome, ReadOnlyMemory<byte> result)
    {
        string? output = null;
        var succeeded = false;
        if (outcome == OpOutcome.Ok)
        {
            switch (call.Kind)
            {
                case ServiceCallKind.Get or ServiceCallKind.PutIfAbsent or ServiceCallKind.GetAndPut:
                    output = Text(ReplicatedKv.ReadOptionalBytes(result, null));
                    break;
                case ServiceCallKind.CompareAndPut or ServiceCallKind.Delete:
                    succeeded = ReplicatedKv.ReadBool(result, null);
                    break;
                case ServiceCallKind.Put:
                    ReplicatedKv.ReadNothing(result, null);
                    break;
                case ServiceCallKind.FencedPut when !IsFencedWriteAccepted(call, result):
                    // Refused, so not applied: the lock was taken over, and the client learns it lost it.
                    outcome = OpOutcome.Failed;
                    client.Held = null;
                    break;
            }
        }

        var kind = call.Kind switch
        {
            ServiceCallKind.Get => ServiceKvKind.Get,
            ServiceCallKind.Put or ServiceCallKind.FencedPut => ServiceKvKind.Put,
            ServiceCallKind.CompareAndPut => ServiceKvKind.CompareAndPut,
            ServiceCallKind.PutIfAbsent => ServiceKvKind.PutIfAbsent,
            ServiceCallKind.Delete => ServiceKvKind.Delete,
            _ => ServiceKvKind.GetAndPut,
        };
        var operation = new ServiceKvOperation(client.Id, kind, call.Name, call.Value, call.Expected, client.InvokedAt, _now, outcome, output, succeeded);
        Record(client, operation.ToRegisterOperation());
    }

    /// <summary>A lock command's answer: acquisitions go to the history; the client learns what it holds.</summary>
    private void RecordLockCall(SimClient client, ServiceCall call, OpOutcome outcome, ReadOnlyMemory<byte> result)
    {
        var answer = outcome == OpOutcome.Ok ? DistributedLock.ReadOutcome(call.Name, result) : default;
        var done = outcome == OpOutcome.Ok && answer.Outcome != LockOutcome.Refused;
        switch (call.Kind)
        {
            case ServiceCallKind.Acquire:
                _acquisitions.Add(new LockAcquisition(client.Id, call.Name, call.Owner, client.InvokedAt, _now, outcome, done, done ? answer.State.Token : 0));
                if (done)
                {
                    client.Held = (call.Name, answer.State.Token);
                    client.Stalled = _random.Chance(0.4);
                }

                break;
            case ServiceCallKind.Renew when outcome == OpOutcome.Ok && !done:
            case ServiceCallKind.Release:
                // Refused a renewal: taken over. Released (or perhaps released): let go either way.
                client.Held = null;
                break;
        }
    }

    private static bool IsFencedWriteAccepted(ServiceCall call, ReadOnlyMemory<byte> result)
    {
        try
        {
            ReplicatedKv.ReadNothing(result, new FencingToken(call.Lock, call.Token));
            return true;
        }
        catch (FencingTokenRejectedException)
        {
            return false;
        }
    }

    /// <summary>
    /// Every replica's application of an entry, with the answer its state machine gave. Every
    /// replica must give the same answer at the same index; the first application of each index
    /// (in index order, since a replica applies an index only after some replica applied the
    /// ones before) feeds the lock checker, skipping retries the client sessions answered from
    /// memory.
    /// </summary>
    private void OnServiceApplied(SimNode node, Entry entry, ReadOnlyMemory<byte> result)
    {
        if (_appliedResults.TryGetValue(entry.Index, out var first))
        {
            if (!result.Span.SequenceEqual(first))
            {
                _checker.Report(_now, $"state machine safety: node {node.Id} answered entry {entry.Index} (term {entry.Term}) with {Convert.ToHexString(result.Span)}, another replica with {Convert.ToHexString(first)}");
            }

            return;
        }

        _appliedResults[entry.Index] = result.ToArray();
        if (entry.Type != EntryType.Normal || entry.ClientId == 0 ||
            (_appliedSequenceOfSession.TryGetValue(entry.ClientId, out var last) && entry.Sequence <= last))
        {
            return;
        }

        _appliedSequenceOfSession[entry.ClientId] = entry.Sequence;
        if (!_calls.TryGetValue((entry.ClientId, entry.Sequence), out var call))
        {
            return;
        }

        var violation = call.Kind switch
        {
            ServiceCallKind.Acquire when DistributedLock.ReadOutcome(call.Name, result) is var (outcome, state) =>
                _locks.OnAcquire(entry.Index, call.Name, call.Owner, outcome != LockOutcome.Refused, state.Token),
            ServiceCallKind.FencedPut => _locks.OnFencedWrite(entry.Index, call.Lock, call.Token, IsFencedWriteAccepted(call, result)),
            _ => null,
        };
        if (violation is not null)
        {
            _checker.Report(_now, $"lock safety: {violation} (applied first by node {node.Id})");
        }
    }

    /// <summary>After convergence: the members hold the same service state, byte for byte.</summary>
    private void CheckConvergedServiceStates(SimNode[] members)
    {
        var states = members.Select(n => n.CaptureMachineState()).ToArray();
        for (var i = 1; i < members.Length; i++)
        {
            if (!states[i].AsSpan().SequenceEqual(states[0]))
            {
                _checker.Report(_now, $"state machine safety: after applying through {members[i].Raft.AppliedIndex}, node {members[i].Id}'s service state differs from node {members[0].Id}'s");
                return;
            }
        }
    }

    /// <summary>The history checks of the services workload, after the run: sequences, then lock grants.</summary>
    private void CheckServiceHistories()
    {
        if (SequenceChecker.Check(_sequenceHistory) is { } sequences)
        {
            _checker.Violations.Add($"sequence safety: {sequences}");
        }
        else if (LockChecker.CheckAcquisitions(_acquisitions) is { } locks)
        {
            _checker.Violations.Add($"lock safety: {locks}");
        }
    }
}
