using Raft.Actors.Protocol;

namespace Raft.Actors.Storage;

/// <summary>The checks every <see cref="ILogStore"/> applies to a batch before writing it.</summary>
public static class LogBatchValidation
{
    /// <summary>
    /// Throws <see cref="ArgumentException"/> unless <paramref name="entries"/> are contiguous,
    /// start above <paramref name="compactedIndex"/> and at or below <paramref name="lastIndex"/> + 1.
    /// </summary>
    public static void Validate(IReadOnlyList<Entry> entries, ulong compactedIndex, ulong lastIndex)
    {
        if (entries.Count == 0)
        {
            return;
        }

        var first = entries[0].Index;
        if (first <= compactedIndex || first > lastIndex + 1)
        {
            throw new ArgumentException($"Batch starts at index {first}, but the log holds [{compactedIndex + 1}, {lastIndex}]: a batch must start in (compacted, last + 1].", nameof(entries));
        }

        for (var i = 1; i < entries.Count; i++)
        {
            if (entries[i].Index != first + (ulong)i)
            {
                throw new ArgumentException($"Batch is not contiguous: entry {i} has index {entries[i].Index}, expected {first + (ulong)i}.", nameof(entries));
            }

            if (entries[i].Term < entries[i - 1].Term)
            {
                throw new ArgumentException($"Batch terms decrease at index {entries[i].Index}.", nameof(entries));
            }
        }
    }
}
