using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Storage;

namespace Raft.Actors.Tests.Consensus;

/// <summary>Logs, stored states and messages written out the way the paper draws them.</summary>
internal static class Build
{
    /// <summary>Entries at indices <paramref name="firstIndex"/>, +1, ... with the given terms.</summary>
    public static Entry[] Entries(ulong firstIndex, params ulong[] terms) =>
        [.. terms.Select((t, i) => new Entry { Index = firstIndex + (ulong)i, Term = t })];

    /// <summary>A log from index 1 with the given terms (the paper's figures, one box per entry).</summary>
    public static Entry[] Log(params ulong[] terms) => Entries(1, terms);

    /// <summary>What a node's storage holds: a hard state and a log from index 1.</summary>
    public static LogState Stored(ulong term, ulong[] terms, ulong vote = 0, ulong commit = 0) =>
        new(new HardState(term, vote, commit), 0, 0, Log(terms));

    /// <summary>A node of voters 1..<paramref name="size"/> restored from <paramref name="stored"/>.</summary>
    public static RaftNode Node(ulong id, int size, LogState? stored = null, ScenarioOptions? options = null, IRandomSource? random = null) =>
        new((options ?? ScenarioOptions.Paper).For(id, ConfState.OfVoters([.. Enumerable.Range(1, size).Select(i => (ulong)i)])), random ?? new FixedRandom(0), stored);

    public static RaftMessage Append(ulong from, ulong to, ulong term, ulong prevIndex, ulong prevTerm, Entry[]? entries = null, ulong commit = 0) => new()
    {
        Type = MessageType.Append,
        From = from,
        To = to,
        Term = term,
        Index = prevIndex,
        LogTerm = prevTerm,
        Entries = [.. entries ?? []],
        Commit = commit,
    };

    public static RaftMessage Heartbeat(ulong from, ulong to, ulong term, ulong commit = 0) =>
        new() { Type = MessageType.Heartbeat, From = from, To = to, Term = term, Commit = commit };

    public static RaftMessage Vote(ulong from, ulong to, ulong term, ulong lastIndex, ulong lastTerm) =>
        new() { Type = MessageType.Vote, From = from, To = to, Term = term, Index = lastIndex, LogTerm = lastTerm };

    public static RaftMessage VoteResponse(ulong from, ulong to, ulong term, bool granted) =>
        new() { Type = MessageType.VoteResponse, From = from, To = to, Term = term, Reject = !granted };

    /// <summary>Carries out the node's Ready into <paramref name="disk"/> (if given) and returns it.</summary>
    public static Ready Drain(RaftNode node, ScenarioDisk? disk = null)
    {
        var ready = node.GetReady();
        disk?.Persist(ready.EntriesToPersist, ready.HardState);
        node.Advance(ready);
        return ready;
    }

    /// <summary>Every message of the node's pending Readys, carried out into <paramref name="disk"/>.</summary>
    public static List<RaftMessage> DrainMessages(RaftNode node, ScenarioDisk? disk = null)
    {
        var messages = new List<RaftMessage>();
        while (node.HasReady)
        {
            var ready = Drain(node, disk);
            messages.AddRange(ready.MessagesNow);
            messages.AddRange(ready.MessagesAfterPersist);
        }

        return messages;
    }
}
