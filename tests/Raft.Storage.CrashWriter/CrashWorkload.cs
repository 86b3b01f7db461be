using Raft.Actors.Protocol;
using Raft.Actors.Storage;

namespace Raft.Storage.CrashWriter;

/// <summary>
/// The operations the crash writer performs, in a form both the writer and the checking test
/// can replay: each line the writer prints before an operation says exactly what it writes.
/// </summary>
public static class CrashWorkload
{
    /// <summary>Segment size used by the writer: small, so that rollover and deletion happen often.</summary>
    public const long SegmentSize = 256 << 10;

    /// <summary>Groups the writer drives concurrently in "shared" mode.</summary>
    public const int SharedGroups = 6;

    /// <summary>The term a restarted writer continues with: the last one the store knows.</summary>
    public static ulong InitialTerm(ILogStore store)
    {
        var hardStateTerm = store.LoadAsync().AsTask().GetAwaiter().GetResult().HardState.Term;
        return Math.Max(hardStateTerm, store.TryGetTerm(store.LastIndex, out var lastTerm) ? lastTerm : 1);
    }

    /// <summary>
    /// Picks the next operation on <paramref name="store"/> and returns its line: mostly
    /// appends, some truncating a suffix (a new leader), some compactions, sometimes ahead of
    /// the log or of another history (a snapshot from the leader).
    /// </summary>
    public static string NextOperation(ILogStore store, Random random, ref ulong term)
    {
        var last = store.LastIndex;
        var compacted = store.CompactedIndex;
        var roll = random.Next(100);
        if (roll < 6 && last > compacted)
        {
            var through = last - compacted > 20_000 || roll < 5
                ? compacted + 1 + (ulong)random.NextInt64((long)(last - compacted))
                : last + (ulong)random.Next(1, 50);
            var throughTerm = store.TryGetTerm(through, out var t) ? t : term;
            if (through <= last && random.Next(4) == 0)
            {
                // A snapshot of another history (a later leader's entry at that index): it replaces the whole log.
                throughTerm = term + 1;
            }

            term = Math.Max(term, throughTerm);
            return $"C {through} {throughTerm}";
        }

        var first = last + 1;
        if (roll < 16 && last > compacted)
        {
            // A new leader replaces a suffix (Raft §5.3).
            term++;
            first = compacted + 1 + (ulong)random.NextInt64((long)(last - compacted));
        }

        var count = random.Next(0, 3) == 0 ? random.Next(1, 4) : random.Next(1, 64);
        return $"B {first} {count} {term} {term} {(term % 3) + 1} {Math.Min(first - 1, compacted + 10)}";
    }

    /// <summary>The entry at (index, term): its payload size and bytes follow from both.</summary>
    public static Entry MakeEntry(ulong index, ulong term)
    {
        var x = (index * 0x9E37_79B9_7F4A_7C15UL) ^ (term * 0xC2B2_AE3D_27D4_EB4FUL) ^ 0x5bd1e995UL;
        var data = new byte[(int)(x % 700)];
        for (var i = 0; i < data.Length; i++)
        {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            data[i] = (byte)x;
        }

        return new Entry { Index = index, Term = term, ClientId = index % 3 == 0 ? 0 : index, Sequence = term, Data = data };
    }

    /// <summary>A batch as described by a "B first count term hsTerm hsVote hsCommit" line.</summary>
    public static LogBatch MakeBatch(ulong first, int count, ulong term, HardState hardState)
    {
        var entries = new Entry[count];
        for (var i = 0; i < count; i++)
        {
            entries[i] = MakeEntry(first + (ulong)i, term);
        }

        return new LogBatch(entries, hardState);
    }

    /// <summary>Applies one printed operation line ("B ..." or "C ...") to <paramref name="store"/>.</summary>
    public static ValueTask ApplyAsync(ILogStore store, string line)
    {
        var f = line.Split(' ');
        return f[0] switch
        {
            "B" => store.AppendAsync(MakeBatch(ulong.Parse(f[1]), int.Parse(f[2]), ulong.Parse(f[3]), new HardState(ulong.Parse(f[4]), ulong.Parse(f[5]), ulong.Parse(f[6])))),
            "C" => store.CompactAsync(ulong.Parse(f[1]), ulong.Parse(f[2])),
            _ => throw new FormatException($"Unknown operation line '{line}'."),
        };
    }
}
