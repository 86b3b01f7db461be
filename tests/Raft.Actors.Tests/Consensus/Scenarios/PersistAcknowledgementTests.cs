using Raft.Actors.Protocol;
using Xunit;

namespace Raft.Actors.Tests.Consensus.Scenarios;

/// <summary>
/// PITFALLS row 10 (etcd async storage writes): a Ready's entries are overwritten by a new
/// leader before the Ready is advanced. The late acknowledgement of the old write must not
/// mark the new entries durable.
/// </summary>
public sealed class PersistAcknowledgementTests
{
    public static TheoryData<ulong, ulong, ulong[], ulong[]> Overwrites => new()
    {
        // the term-3 leader's Append: prev index, prev term, new terms; the log afterwards
        { 1, 1, [3, 3], [1, 3, 3] },
        { 1, 1, [3], [1, 3] },
        { 2, 2, [3], [1, 2, 3] },
        { 2, 2, [3, 3, 3], [1, 2, 3, 3, 3] },
    };

    [Theory]
    [MemberData(nameof(Overwrites))]
    public void Late_persist_acknowledgement_after_an_overwrite_does_not_mark_the_new_entries_stable(ulong prevIndex, ulong prevTerm, ulong[] newTerms, ulong[] expected)
    {
        var disk = new ScenarioDisk(Build.Stored(term: 1, [1], commit: 1));
        var node = Build.Node(1, 3, disk.ToLogState());
        Build.DrainMessages(node, disk);

        // The term-2 leader sends entries 2 and 3; their write is handed out but not done.
        node.Step(Build.Append(2, 1, term: 2, prevIndex: 1, prevTerm: 1, Build.Entries(2, 2, 2), commit: 1));
        var first = node.GetReady();
        Assert.Equal([(2UL, 2UL), (3UL, 2UL)], first.EntriesToPersist.Select(e => (e.Index, e.Term)));

        // A term-3 leader overwrites part of them before that write is acknowledged.
        node.Step(Build.Append(3, 1, term: 3, prevIndex, prevTerm, Build.Entries(prevIndex + 1, newTerms), commit: 1));
        disk.Persist(first.EntriesToPersist, first.HardState);
        node.Advance(first);

        // The next Ready must write every entry the first one did not: the new ones at least.
        Assert.True(node.HasReady);
        var second = node.GetReady();
        var lastNew = prevIndex + (ulong)newTerms.Length;
        Assert.Contains(second.EntriesToPersist, e => e.Index == lastNew && e.Term == 3);
        Assert.Contains(second.MessagesAfterPersist, m => m is { Type: MessageType.AppendResponse, To: 3, Reject: false } && m.Index == lastNew);
        disk.Persist(second.EntriesToPersist, second.HardState);
        node.Advance(second);
        Build.DrainMessages(node, disk);

        Assert.Equal(expected, disk.Entries.Select(e => e.Term));
        var restarted = Build.Node(1, 3, disk.ToLogState());
        Assert.Equal(expected.Length, (int)restarted.LastIndex);
        Assert.Equal(3UL, restarted.Log.TermOrZero(lastNew));
    }
}
