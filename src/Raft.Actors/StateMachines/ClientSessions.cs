using Raft.Actors.Protocol;

namespace Raft.Actors.StateMachines;

/// <summary>
/// Applies committed entries to a state machine at most once per (client id, sequence): a
/// client that retries a proposal whose outcome was unknown gets the first result instead of
/// a second application. Deterministic, so every replica skips the same retries.
/// </summary>
/// <remarks>
/// Each client keeps its sequence numbers increasing and has one proposal outstanding at a
/// time (as in the Raft thesis §6.3): only the latest result per client is remembered.
/// </remarks>
public sealed class ClientSessions(IRaftStateMachine stateMachine)
{
    private readonly Dictionary<ulong, (ulong Sequence, ReadOnlyMemory<byte> Result)> _sessions = [];

    /// <summary>The state machine behind the sessions.</summary>
    public IRaftStateMachine StateMachine { get; } = stateMachine;

    /// <summary>Applies a committed normal entry (no-ops apply as nothing) and returns its result.</summary>
    public ReadOnlyMemory<byte> Apply(Entry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.IsNoOp || entry.Type != EntryType.Normal)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        if (entry.ClientId == 0)
        {
            return StateMachine.Apply(entry);
        }

        if (_sessions.TryGetValue(entry.ClientId, out var last) && entry.Sequence <= last.Sequence)
        {
            // A retry of a command that already applied: answer as the first time did.
            return entry.Sequence == last.Sequence ? last.Result : ReadOnlyMemory<byte>.Empty;
        }

        var result = StateMachine.Apply(entry);
        _sessions[entry.ClientId] = (entry.Sequence, result);
        return result;
    }
}
