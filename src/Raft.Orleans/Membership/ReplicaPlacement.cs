using System.Buffers.Binary;
using System.IO.Hashing;

namespace Raft.Orleans.Membership;

/// <summary>
/// Where each group's replicas should live, computed alike on every silo from the same inputs:
/// the groups, the silos' node ids and the replication factor. Each group ranks the nodes by
/// rendezvous hashing (highest XxHash64 of group and node first), so a node joining or leaving
/// moves only the groups it ranks high in; a cap of ⌈groups × replicas ∕ nodes⌉ replicas per
/// node keeps the spread even: a node that is full passes its turn to the next one in the
/// group's ranking, which is a node with fewer replicas. (Greedy: when the last groups find fewer
/// nodes with room than they need, the least loaded nodes go one above the cap.)
/// </summary>
/// <remarks>Pure and deterministic: no clock, no randomness, no state.</remarks>
internal static class ReplicaPlacement
{
    /// <summary>The nodes in the order <paramref name="group"/> prefers them (ties, which need a hash collision, by node id).</summary>
    public static ulong[] Rank(ulong group, IEnumerable<ulong> nodes) =>
        [.. nodes.Distinct().OrderByDescending(node => Score(group, node)).ThenBy(node => node)];

    /// <summary>
    /// The planned members of every group: min(<paramref name="replicas"/>, node count) nodes
    /// each, at most ⌈groups × replicas ∕ nodes⌉ + 1 groups per node (the + 1 only when a group
    /// could not be filled otherwise).
    /// </summary>
    public static Dictionary<ulong, ulong[]> Plan(IEnumerable<ulong> groups, IEnumerable<ulong> nodes, int replicas)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(replicas, 1);
        ulong[] all = [.. nodes.Distinct().Order()];
        ulong[] ordered = [.. groups.Distinct().Order()];
        var plan = new Dictionary<ulong, ulong[]>(ordered.Length);
        if (all.Length == 0)
        {
            foreach (var group in ordered)
            {
                plan[group] = [];
            }

            return plan;
        }

        var perGroup = Math.Min(replicas, all.Length);
        var cap = ((ordered.Length * perGroup) + all.Length - 1) / all.Length;
        var load = all.ToDictionary(node => node, _ => 0);
        foreach (var group in ordered)
        {
            var ranked = Rank(group, all);
            var chosen = ranked.Where(node => load[node] < cap).Take(perGroup).ToList();
            if (chosen.Count < perGroup)
            {
                // The nodes with room left are fewer than a group needs: the least loaded take it,
                // one above the cap (the greedy pass can corner itself this way on its last groups).
                chosen.AddRange(ranked.Where(node => !chosen.Contains(node)).OrderBy(node => load[node]).Take(perGroup - chosen.Count));
            }

            foreach (var node in chosen)
            {
                load[node]++;
            }

            plan[group] = [.. chosen.Order()];
        }

        return plan;
    }

    /// <summary>
    /// The members <paramref name="group"/> should have: its planned nodes that it may take
    /// (<paramref name="eligible"/>), topped up from its ranking of <paramref name="nodes"/> with
    /// eligible ones, up to <paramref name="replicas"/>.
    /// </summary>
    public static ulong[] Desired(ulong group, IEnumerable<ulong> planned, IEnumerable<ulong> nodes, int replicas, Func<ulong, bool> eligible)
    {
        ArgumentNullException.ThrowIfNull(eligible);
        var desired = planned.Where(eligible).Take(replicas).ToList();
        foreach (var node in Rank(group, nodes))
        {
            if (desired.Count >= replicas)
            {
                break;
            }

            if (!desired.Contains(node) && eligible(node))
            {
                desired.Add(node);
            }
        }

        return [.. desired.Order()];
    }

    private static ulong Score(ulong group, ulong node)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, group);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[8..], node);
        return XxHash64.HashToUInt64(bytes);
    }
}
