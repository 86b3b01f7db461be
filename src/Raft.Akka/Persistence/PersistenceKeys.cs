using System.Globalization;

namespace Raft.Akka.Persistence;

/// <summary>
/// Where the journal and the snapshot store keep a persistence id's data in the services'
/// key-value store (of the group its id hashes to):
/// <c>{prefix}e/{length}:{id}/{sequence nr:D20}</c> per event,
/// <c>{prefix}h/{length}:{id}</c> for the highest sequence number ever written,
/// <c>{prefix}s/{length}:{id}/{sequence nr:D20}</c> per snapshot.
/// </summary>
/// <remarks>
/// Prefixing the id with its length keeps one id's range free of every other id's keys (an id
/// may contain '/' and digits), and the fixed-width sequence number makes key order sequence
/// order, so a replay or a selection is one range scan.
/// </remarks>
internal sealed class PersistenceKeys(string prefix)
{
    /// <summary>Length of the sequence number suffix.</summary>
    public const int SequenceDigits = 20;

    /// <summary>The key of event <paramref name="sequenceNr"/> of <paramref name="persistenceId"/>.</summary>
    public string Event(string persistenceId, long sequenceNr) => Ranged("e", persistenceId, sequenceNr);

    /// <summary>The key of the snapshot at <paramref name="sequenceNr"/> of <paramref name="persistenceId"/>.</summary>
    public string Snapshot(string persistenceId, long sequenceNr) => Ranged("s", persistenceId, sequenceNr);

    /// <summary>The key of the highest sequence number written for <paramref name="persistenceId"/>; never deleted.</summary>
    public string Highest(string persistenceId) => $"{prefix}h/{Id(persistenceId)}";

    /// <summary>The end (exclusive) of a scan that includes <paramref name="key"/>: the next string after it.</summary>
    public static string After(string key) => key + "\0";

    /// <summary>The sequence number at the end of an event or snapshot key.</summary>
    public static long SequenceNrOf(string key) =>
        long.Parse(key.AsSpan(key.Length - SequenceDigits), NumberStyles.None, CultureInfo.InvariantCulture);

    private string Ranged(string kind, string persistenceId, long sequenceNr) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}{kind}/{Id(persistenceId)}/{Math.Max(0, sequenceNr):D20}");

    private static string Id(string persistenceId) =>
        string.Create(CultureInfo.InvariantCulture, $"{persistenceId.Length}:{persistenceId}");
}
