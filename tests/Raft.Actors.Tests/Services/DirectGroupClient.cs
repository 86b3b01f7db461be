using Raft.Actors.Protocol;
using Raft.Actors.Runtime;
using Raft.Actors.Services;
using Raft.Actors.StateMachines;

namespace Raft.Actors.Tests.Services;

/// <summary>
/// A "group" of one state machine applied in the caller's thread: each proposal is the next
/// committed entry, through the same client sessions a replica uses. Unit tests of the services
/// run on it without consensus and without timing.
/// </summary>
internal sealed class DirectGroupClient : IRaftGroupClient
{
    private readonly Lock _gate = new();
    private ulong _index;

    public DirectGroupClient(ServiceStateMachine? stateMachine = null)
    {
        StateMachine = stateMachine ?? new ServiceStateMachine();
        Sessions = new ClientSessions(StateMachine);
    }

    public ServiceStateMachine StateMachine { get; }

    public ClientSessions Sessions { get; }

    public ulong Group => 1;

    /// <summary>Entries applied so far (retries included).</summary>
    public ulong Applied
    {
        get
        {
            lock (_gate)
            {
                return _index;
            }
        }
    }

    public Task<ReadOnlyMemory<byte>> ProposeAsync(ReadOnlyMemory<byte> command, ProposalId id, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var entry = new Entry { Index = ++_index, Term = 1, ClientId = id.ClientId, Sequence = id.Sequence, Data = command.ToArray() };
            return Task.FromResult(Sessions.Apply(entry));
        }
    }

    public Task<ReadOnlyMemory<byte>> ReadAsync(ReadOnlyMemory<byte> query, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(StateMachine.Query(query));
        }
    }
}
