namespace Raft.Actors.Transport.Tcp;

/// <summary>
/// Which of two connections between the same pair of nodes to keep. Both nodes apply the same
/// rule to the same facts, so they keep the same connection without talking about it.
/// </summary>
/// <remarks>
/// <para>A pair of nodes shares one connection for both directions. A node dials only when it
/// has something to send and no connection, but both nodes of a pair may do so at the same
/// moment, and a node may redial after its side of a connection died while the other side has
/// not noticed yet. So a node may hold two connections to a peer; it keeps one and closes the
/// other:</para>
/// <list type="number">
/// <item>A new connection to another incarnation of the peer than the current one's (the peer
/// process restarted; each start draws a random incarnation) replaces it: only a live process
/// completes a handshake, so the older connection is to a dead one, whether or not this side
/// has noticed yet.</item>
/// <item>Otherwise the connection dialed by the node with the lower id beats the one dialed by
/// the higher id. This settles simultaneous dials identically on both sides.</item>
/// <item>Between two connections dialed by the same node, the newer one wins: the dialer only
/// dials when it holds no connection, so it has given the older one up.</item>
/// </list>
/// <para>An acceptor that would lose the new connection under this rule refuses it in the
/// handshake as a duplicate; the dialer then uses the connection it already holds, or, if it
/// holds none (its side died first), dials again after its backoff, by which time the acceptor
/// has usually seen the old connection fail.</para>
/// </remarks>
internal static class ConnectionRule
{
    /// <summary>True when <paramref name="candidate"/> should replace <paramref name="current"/> on node <paramref name="self"/>.</summary>
    public static bool Prefers(ulong self, ulong peer, (ulong DialedBy, ulong PeerIncarnation) candidate, (ulong DialedBy, ulong PeerIncarnation) current)
    {
        if (candidate.PeerIncarnation != current.PeerIncarnation)
        {
            return true;
        }

        if (candidate.DialedBy != current.DialedBy)
        {
            return candidate.DialedBy == Math.Min(self, peer);
        }

        return true;
    }
}
