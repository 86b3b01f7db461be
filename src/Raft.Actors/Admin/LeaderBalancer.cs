namespace Raft.Actors.Admin;

/// <summary>Spreads leadership of many groups evenly over the nodes (SOFAJRaft's rebalance).</summary>
public static class LeaderBalancer
{
    /// <summary>
    /// Moves leaders from the nodes that lead the most groups to voters that lead the fewest,
    /// one transfer at a time, until no node leads more than one group above another that could
    /// take one over. Returns each group's leader afterwards.
    /// </summary>
    public static async Task<IReadOnlyDictionary<ulong, ulong>> RebalanceAsync(IReadOnlyList<RaftAdmin> groups, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var leaders = new Dictionary<ulong, ulong>();
        var voters = new Dictionary<ulong, IReadOnlyList<ulong>>();
        foreach (var admin in groups)
        {
            leaders[admin.Group] = await admin.GetLeaderAsync(cancellationToken).ConfigureAwait(false);
            voters[admin.Group] = await admin.GetPeersAsync(cancellationToken).ConfigureAwait(false);
        }

        // Each transfer lowers the spread; bound the loop anyway so a flapping group cannot spin it.
        for (var moves = 0; moves < groups.Count * 2; moves++)
        {
            var load = voters.Values.SelectMany(v => v).Distinct().ToDictionary(id => id, id => leaders.Values.Count(l => l == id));
            var move = groups
                .Select(admin => (Admin: admin, From: leaders[admin.Group], To: voters[admin.Group].OrderBy(id => load[id]).ThenBy(id => id).First()))
                .Where(m => load[m.From] - load[m.To] > 1)
                .OrderByDescending(m => load[m.From] - load[m.To])
                .ThenBy(m => m.Admin.Group)
                .FirstOrDefault();
            if (move.Admin is null)
            {
                break;
            }

            await move.Admin.TransferLeaderAsync(move.To, cancellationToken).ConfigureAwait(false);
            leaders[move.Admin.Group] = await move.Admin.GetLeaderAsync(cancellationToken).ConfigureAwait(false);
        }

        return leaders;
    }
}
