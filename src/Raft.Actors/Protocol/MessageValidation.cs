using System.Collections.Immutable;

namespace Raft.Actors.Protocol;

/// <summary>
/// The structural checks a <see cref="RaftMessage"/> must pass to cross the wire: the codec
/// applies them to every message it encodes (a failure is a bug in the sender) and decodes (a
/// failure is bad input from the network).
/// </summary>
/// <remarks>
/// These are checks on the message alone; whether it fits the receiver's log is the consensus
/// core's business. Every message has one shape (as in etcd raft), so a field a type does not
/// use is checked only for being well-formed: entries on a Vote are still contiguous, but only
/// an Append's entries must follow its <see cref="RaftMessage.Index"/>.
/// </remarks>
internal static class MessageValidation
{
    /// <summary>Returns what is wrong with <paramref name="message"/>, or null when it is well-formed.</summary>
    public static string? FindError(RaftMessage message)
    {
        if (message.Type is < MessageType.Append or > MessageType.NodeHeartbeat)
        {
            return $"unknown message type {(byte)message.Type}";
        }

        if (message.From == 0)
        {
            return "From is 0 (node ids start at 1)";
        }

        if (message.To == 0)
        {
            return "To is 0 (node ids start at 1)";
        }

        return FindEntriesError(message) ?? FindSnapshotError(message);
    }

    /// <summary>A short description of a message for error text: never fails, whatever the fields hold.</summary>
    public static string Describe(RaftMessage message) =>
        $"{message.Type} of group {message.Group}, {message.From}->{message.To}, term {message.Term}";

    private static string? FindEntriesError(RaftMessage message)
    {
        var entries = message.Entries;
        if (entries.IsDefaultOrEmpty)
        {
            return null;
        }

        for (var i = 0; i < entries.Length; i++)
        {
            var entry = entries[i];
            if (entry is null)
            {
                return $"entry {i} is nil";
            }

            if (entry.Index == 0)
            {
                return $"entry {i} has index 0 (log indices start at 1)";
            }

            if (entry.Term == 0)
            {
                return $"entry {entry.Index} has term 0 (terms start at 1)";
            }

            if (entry.Type is not (EntryType.Normal or EntryType.ConfChange))
            {
                return $"entry {entry.Index} has unknown type {(byte)entry.Type}";
            }

            if (i == 0)
            {
                continue;
            }

            // Index 0 is already refused, so a predecessor at ulong.MaxValue (whose successor
            // would wrap to 0) cannot be followed by anything that passes this test.
            var previous = entries[i - 1];
            if (entry.Index != previous.Index + 1)
            {
                return $"entries are not contiguous: entry {i} has index {entry.Index} after index {previous.Index}";
            }

            // Terms never decrease along a log (Raft §5.3, Log Matching).
            if (entry.Term < previous.Term)
            {
                return $"entry terms decrease: index {entry.Index} has term {entry.Term} after term {previous.Term}";
            }
        }

        if (message.Type != MessageType.Append)
        {
            return null;
        }

        // An Append's Index/LogTerm name the entry just before the ones it carries (Raft §5.3),
        // and a leader holds no entry from a term later than its own.
        var first = entries[0];
        var last = entries[^1];
        if (first.Index - 1 != message.Index)
        {
            return $"first entry has index {first.Index}, but the append follows index {message.Index}";
        }

        if (first.Term < message.LogTerm)
        {
            return $"first entry has term {first.Term}, below the term {message.LogTerm} of the entry before it";
        }

        if (last.Term > message.Term)
        {
            return $"entry {last.Index} has term {last.Term}, above the leader's term {message.Term}";
        }

        return null;
    }

    private static string? FindSnapshotError(RaftMessage message)
    {
        var snapshot = message.Snapshot;
        if (snapshot is null)
        {
            return message.Type is MessageType.Snapshot or MessageType.SnapshotChunk or MessageType.SnapshotChunkResponse
                ? $"a {message.Type} message carries no snapshot metadata"
                : null;
        }

        if (snapshot.Index == 0)
        {
            return "snapshot index is 0 (a snapshot covers at least entry 1)";
        }

        if (snapshot.Term == 0)
        {
            return $"snapshot at index {snapshot.Index} has term 0 (terms start at 1)";
        }

        if (message.Type is MessageType.Snapshot or MessageType.SnapshotChunk && snapshot.Term > message.Term)
        {
            return $"snapshot term {snapshot.Term} is above the leader's term {message.Term}";
        }

        var conf = snapshot.ConfState;
        if (conf is null)
        {
            return $"snapshot at index {snapshot.Index} has no configuration";
        }

        return FindConfigurationError(conf) is { } error ? $"snapshot at index {snapshot.Index}: {error}" : null;
    }

    /// <summary>What is wrong with a configuration, or null: at least one voter, no id 0, no id twice.</summary>
    public static string? FindConfigurationError(ConfState conf)
    {
        var voters = conf.Voters.IsDefault ? [] : conf.Voters;
        var learners = conf.Learners.IsDefault ? [] : conf.Learners;
        if (voters.IsEmpty)
        {
            return "the configuration has no voters";
        }

        // A set, not a pairwise scan: the lists come from the network and may be long.
        var seen = new HashSet<ulong>(voters.Length + learners.Length);
        return FindMemberError(voters, "voter", seen) ?? FindMemberError(learners, "learner", seen) ??
            FindMemberError(conf.VotersOutgoing.IsDefault ? [] : conf.VotersOutgoing, "outgoing voter", [.. learners]);
    }

    private static string? FindMemberError(ImmutableArray<ulong> members, string role, HashSet<ulong> seen)
    {
        foreach (var id in members)
        {
            if (id == 0)
            {
                return $"the configuration has {role} id 0 (node ids start at 1)";
            }

            if (!seen.Add(id))
            {
                return $"the configuration lists node {id} more than once (again as {role})";
            }
        }

        return null;
    }
}
