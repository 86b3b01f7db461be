using Raft.Actors.Storage;
using Raft.Storage.CrashWriter;

// Appends to a FileLogStore until killed. Before each operation it prints the operation
// ("B first count term hsTerm hsVote hsCommit" or "C through term"), after the store has
// made it durable it prints "A". The parent SIGKILLs it at a random moment and checks that
// every acknowledged operation survived, and nothing else but the one in flight.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Raft.Storage.CrashWriter <directory> <seed>");
    return 2;
}

var random = new Random(int.Parse(args[1]));
var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
await using var store = await FileLogStore.OpenAsync(args[0], new FileLogStoreOptions { SegmentSize = CrashWorkload.SegmentSize });
var hardState = store.HardState;
var term = Math.Max(hardState.Term, store.TryGetTerm(store.LastIndex, out var lastTerm) ? lastTerm : 1);
output.WriteLine($"O {store.CompactedIndex} {store.LastIndex}");
while (true)
{
    var last = store.LastIndex;
    var compacted = store.CompactedIndex;
    var roll = random.Next(100);
    string line;
    if (roll < 6 && last > compacted)
    {
        // Compaction, sometimes ahead of the log or off it (a snapshot installed from the leader).
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
        line = $"C {through} {throughTerm}";
    }
    else
    {
        var first = last + 1;
        if (roll < 16 && last > compacted)
        {
            // A new leader replaces a suffix (Raft §5.3).
            term++;
            first = compacted + 1 + (ulong)random.NextInt64((long)(last - compacted));
        }

        var count = random.Next(0, 3) == 0 ? random.Next(1, 4) : random.Next(1, 64);
        line = $"B {first} {count} {term} {term} {(term % 3) + 1} {Math.Min(first - 1, compacted + 10)}";
    }

    output.WriteLine(line);
    await CrashWorkload.ApplyAsync(store, line);
    output.WriteLine("A");
}
