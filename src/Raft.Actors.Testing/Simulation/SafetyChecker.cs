using Raft.Actors.Consensus;
using Raft.Actors.Protocol;

namespace Raft.Actors.Testing.Simulation;

/// <summary>
/// Raft's safety properties (Figure 3), checked as the run goes: election safety, leader
/// completeness, state-machine safety, log matching, and that no acknowledged write is lost;
/// with changing membership also the configuration guard (thesis §4.1). None of them depends
/// on who the members are, so they hold across membership changes as they are. The first
/// violation is the one reported; later ones are usually its consequences.
/// </summary>
/// <param name="checkConfigurationGuard">
/// Check that a leader never holds two uncommitted configuration entries. Off when that very
/// rule is broken on purpose (planted bug): the other invariants must then catch the damage.
/// </param>
internal sealed class SafetyChecker(bool checkConfigurationGuard = true)
{
    private readonly Dictionary<ulong, ulong> _leaderOfTerm = [];
    private readonly Dictionary<ulong, Entry> _applied = [];
    private readonly Dictionary<ulong, (Entry Entry, ulong Term)> _committedInTerm = [];
    private ulong _highestCommitted;
    private readonly Dictionary<ulong, ulong> _acknowledged = [];

    public List<string> Violations { get; } = [];

    /// <summary>Number of distinct leaders elected.</summary>
    public int Elections => _leaderOfTerm.Count;

    private void Fail(long now, string message) => Violations.Add($"t={now / 1000}ms {message}");

    /// <summary>Records a violation found by the simulation itself (a wiped disk counted, diverged states).</summary>
    public void Report(long now, string message) => Fail(now, message);

    /// <summary>
    /// Thesis §4.1 (and Ongaro, raft-dev 2015): a leader appends a configuration entry only
    /// once the previous one is committed, so its log never holds two uncommitted ones. An
    /// entry counts as committed when any leader committed it: a new leader may not know yet
    /// that an inherited entry committed.
    /// </summary>
    public void CheckConfigurationGuard(long now, RaftNode leader, RaftLog log)
    {
        if (!checkConfigurationGuard)
        {
            return;
        }

        var committed = Math.Max(_highestCommitted, log.Committed);
        ulong later = 0;
        for (var i = log.LastIndex; i > committed && i > log.CompactedIndex; i--)
        {
            if (log.EntryAt(i).Type != EntryType.ConfChange)
            {
                continue;
            }

            if (later != 0)
            {
                Fail(now, $"configuration guard: leader {leader.Id} of term {leader.Term} holds uncommitted configuration entries at {i} ({log.EntryAt(i)}) and {later} ({log.EntryAt(later)}); commit is {committed}");
                return;
            }

            later = i;
        }
    }

    /// <summary>Election safety and leader completeness, when <paramref name="node"/> is seen leading.</summary>
    public void OnLeader(long now, RaftNode node, RaftLog log)
    {
        if (_leaderOfTerm.TryGetValue(node.Term, out var other))
        {
            if (other != node.Id)
            {
                Fail(now, $"election safety: nodes {other} and {node.Id} are both leader of term {node.Term}");
            }

            return;
        }

        _leaderOfTerm[node.Term] = node.Id;

        // Raft §5.4 leader completeness: an entry committed in term T is in the log of every
        // leader of a term after T. (A leader of an older term may be seen later: its votes
        // were counted late. It owes nothing to entries committed in later terms.)
        foreach (var (index, (entry, term)) in _committedInTerm)
        {
            if (term < node.Term && index > log.CompactedIndex && (index > log.LastIndex || !log.EntryAt(index).Equals(entry)))
            {
                Fail(now, $"leader completeness: leader {node.Id} of term {node.Term} lacks entry {entry}, committed in term {term} (its last index is {log.LastIndex})");
                return;
            }
        }
    }

    /// <summary>Records which term committed each entry: the term of the leader whose commit index passed it.</summary>
    public void OnLeaderCommit(RaftNode leader, RaftLog log)
    {
        for (var index = Math.Max(_highestCommitted, log.CompactedIndex) + 1; index <= log.Committed; index++)
        {
            _committedInTerm[index] = (log.EntryAt(index), leader.Term);
        }

        _highestCommitted = Math.Max(_highestCommitted, log.Committed);
    }

    /// <summary>State-machine safety: no two nodes apply different entries at one index.</summary>
    public void OnApply(long now, ulong nodeId, Entry entry)
    {
        if (_applied.TryGetValue(entry.Index, out var first))
        {
            if (!first.Equals(entry))
            {
                Fail(now, $"state machine safety: node {nodeId} applied {entry} where {first} was applied before");
            }
        }
        else
        {
            _applied[entry.Index] = entry;
        }
    }

    /// <summary>Records a write acknowledged to a client at (index, term).</summary>
    public void OnAcknowledged(ulong index, ulong term) => _acknowledged[index] = term;

    /// <summary>Log matching (Raft §5.3): equal index and term imply equal prefixes.</summary>
    public void CheckLogMatching(long now, IReadOnlyList<(ulong Id, RaftLog Log)> logs)
    {
        for (var a = 0; a < logs.Count; a++)
        {
            for (var b = a + 1; b < logs.Count; b++)
            {
                var (la, lb) = (logs[a].Log, logs[b].Log);
                var top = Math.Min(la.LastIndex, lb.LastIndex);
                var low = Math.Max(la.FirstIndex, lb.FirstIndex);
                var i = top;
                while (i >= low && la.TermOrZero(i) != lb.TermOrZero(i))
                {
                    i--;
                }

                for (; i >= low; i--)
                {
                    if (!la.EntryAt(i).Equals(lb.EntryAt(i)))
                    {
                        Fail(now, $"log matching: nodes {logs[a].Id} and {logs[b].Id} share a later entry but differ at index {i}: {la.EntryAt(i)} vs {lb.EntryAt(i)}");
                        return;
                    }
                }
            }
        }
    }

    /// <summary>After convergence: every acknowledged write is in every node's log with its term.</summary>
    public void CheckAcknowledgedWrites(long now, IReadOnlyList<(ulong Id, RaftLog Log)> logs)
    {
        foreach (var (index, term) in _acknowledged)
        {
            foreach (var (id, log) in logs)
            {
                if (index > log.CompactedIndex && (index > log.Committed || log.TermOrZero(index) != term))
                {
                    Fail(now, $"acknowledged write lost: entry {index}@{term} is not committed in node {id}'s log (last {log.LastIndex}, commit {log.Committed}, term there {log.TermOrZero(index)})");
                    return;
                }
            }
        }
    }
}
