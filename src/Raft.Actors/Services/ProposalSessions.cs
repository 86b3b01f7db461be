using System.Security.Cryptography;
using Raft.Actors.Runtime;

namespace Raft.Actors.Services;

/// <summary>
/// Hands out <see cref="ProposalId"/>s so that concurrent callers never share a client session:
/// the state machine's sessions (<see cref="StateMachines.ClientSessions"/>) remember one result
/// per client and drop a retry whose sequence is below the client's latest, so two proposals in
/// flight on one session could starve each other. A pool grows to the peak number of proposals
/// in flight and reuses its sessions afterwards.
/// </summary>
/// <remarks>Thread-safe.</remarks>
public sealed class ProposalSessions
{
    private readonly Stack<Session> _free = [];
    private readonly Func<ulong> _newClientId;

    /// <summary>Creates a pool.</summary>
    /// <param name="newClientId">Draws the id of a new session (never 0; unique across every client
    /// of the group, default: 64 random bits).</param>
    public ProposalSessions(Func<ulong>? newClientId = null) => _newClientId = newClientId ?? RandomClientId;

    /// <summary>Sessions created so far (the peak number of proposals in flight).</summary>
    public int SessionCount { get; private set; }

    /// <summary>
    /// Takes a session for one command and returns the command's id. Retries of the command use
    /// the same id; dispose the lease once the outcome is known or given up.
    /// </summary>
    public Lease Rent()
    {
        Session? session;
        lock (_free)
        {
            if (!_free.TryPop(out session))
            {
                SessionCount++;
            }
        }

        session ??= new Session(NonZero(_newClientId()));
        session.Sequence++;
        return new Lease(this, session, new ProposalId(session.ClientId, session.Sequence));
    }

    private static ulong NonZero(ulong id) => id != 0 ? id : throw new InvalidOperationException("A client session id must not be 0.");

    private static ulong RandomClientId()
    {
        Span<byte> bytes = stackalloc byte[8];
        ulong id;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            id = BitConverter.ToUInt64(bytes);
        }
        while (id == 0);
        return id;
    }

    private void Return(Session session)
    {
        lock (_free)
        {
            _free.Push(session);
        }
    }

    /// <summary>One command's hold on a session.</summary>
    public sealed class Lease : IDisposable
    {
        private readonly ProposalSessions _pool;
        private readonly Session _session;
        private int _disposed;

        internal Lease(ProposalSessions pool, Session session, ProposalId id)
        {
            _pool = pool;
            _session = session;
            Id = id;
        }

        /// <summary>The command's id.</summary>
        public ProposalId Id { get; }

        /// <summary>Gives the session back for the next command (once, however often it is called).</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _pool.Return(_session);
            }
        }
    }

    /// <summary>A client session: its id and the sequence of its latest command.</summary>
    internal sealed class Session(ulong clientId)
    {
        public ulong ClientId { get; } = clientId;

        public ulong Sequence { get; set; }
    }
}
