using System.Globalization;
using Orleans.Journaling;

namespace Raft.Orleans.Journaling.Storage;

/// <summary>
/// Where one journal lies in the replicated key-value store: under
/// <c>orleans-journal/{provider}/{length}:{id}/</c> (the length keeps one id from being a prefix
/// of another's keys), a data header <c>d</c>, a metadata record <c>p</c>, and the appended
/// chunks <c>s{n}</c>, numbered from 0 with a fixed width so that they scan in order.
/// </summary>
internal readonly record struct JournalKeys(string Prefix)
{
    public static JournalKeys For(string provider, JournalId id) =>
        new($"orleans-journal/{provider}/{id.Value.Length.ToString(CultureInfo.InvariantCulture)}:{id.Value}/");

    public string Data => Prefix + "d";

    public string Properties => Prefix + "p";

    public string ChunksPrefix => Prefix + "s";

    public string Chunk(int n) => Prefix + "s" + n.ToString("D10", CultureInfo.InvariantCulture);
}
