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
    private const int SnapshotFormat = 1;

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

    /// <summary>Captures the sessions and the state machine together: a retry after a restore still applies once.</summary>
    public IStateMachineSnapshot TakeSnapshot() => new Snapshot([.. _sessions], StateMachine.TakeSnapshot());

    /// <summary>Restores what <see cref="TakeSnapshot"/> wrote.</summary>
    public void Restore(Stream snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        using var reader = new BinaryReader(snapshot, System.Text.Encoding.UTF8, leaveOpen: true);
        var format = reader.ReadInt32();
        if (format != SnapshotFormat)
        {
            throw new InvalidDataException($"Unknown client session snapshot format {format}.");
        }

        var count = reader.ReadInt32();
        if (count < 0)
        {
            throw new InvalidDataException($"Client session snapshot claims {count} sessions.");
        }

        _sessions.Clear();
        for (var i = 0; i < count; i++)
        {
            var client = reader.ReadUInt64();
            var sequence = reader.ReadUInt64();
            var length = reader.ReadInt32();
            _sessions[client] = (sequence, reader.ReadBytes(length));
        }

        StateMachine.Restore(snapshot);
    }

    private sealed class Snapshot(KeyValuePair<ulong, (ulong Sequence, ReadOnlyMemory<byte> Result)>[] sessions, IStateMachineSnapshot state) : IStateMachineSnapshot
    {
        public void WriteTo(Stream destination)
        {
            using (var writer = new BinaryWriter(destination, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(SnapshotFormat);
                writer.Write(sessions.Length);
                foreach (var (client, (sequence, result)) in sessions)
                {
                    writer.Write(client);
                    writer.Write(sequence);
                    writer.Write(result.Length);
                    writer.Write(result.Span);
                }
            }

            state.WriteTo(destination);
        }

        public void Dispose() => state.Dispose();
    }
}
