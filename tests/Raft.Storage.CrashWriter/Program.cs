using Raft.Actors.Storage;
using Raft.Storage.CrashWriter;

// Appends to a FileLogStore (or, with "shared", to several groups of a SharedLog) until
// killed. Before each operation it prints the operation ("B first count term hsTerm hsVote
// hsCommit" or "C through term"), after the store has made it durable it prints "A". The parent SIGKILLs it at a random moment and checks that
// every acknowledged operation survived, and nothing else but the one in flight.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Raft.Storage.CrashWriter <directory> <seed> [shared]");
    return 2;
}

var random = new Random(int.Parse(args[1]));
var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
if (args.Length > 2 && args[2] == "shared")
{
    // Several groups on one SharedLog, each appending concurrently, so that writes coalesce.
    // Lines carry the group: "g B ...", "g A". One lock keeps each line whole.
    await using var log = await SharedLog.OpenAsync(args[0], new FileLogStoreOptions { SegmentSize = CrashWorkload.SegmentSize });
    output.WriteLine("O");
    var seeds = Enumerable.Range(0, CrashWorkload.SharedGroups).Select(_ => random.Next()).ToArray();
    await Task.WhenAll(Enumerable.Range(1, CrashWorkload.SharedGroups).Select(g => Task.Run(async () =>
    {
        var store = log.OpenGroup((ulong)g);
        var groupRandom = new Random(seeds[g - 1]);
        var term = CrashWorkload.InitialTerm(store);
        while (true)
        {
            var line = CrashWorkload.NextOperation(store, groupRandom, ref term);
            lock (output)
            {
                output.WriteLine($"{g} {line}");
            }

            await CrashWorkload.ApplyAsync(store, line);
            lock (output)
            {
                output.WriteLine($"{g} A");
            }
        }
    })));
    return 0;
}

await using var store = await FileLogStore.OpenAsync(args[0], new FileLogStoreOptions { SegmentSize = CrashWorkload.SegmentSize });
var term = CrashWorkload.InitialTerm(store);
output.WriteLine($"O {store.CompactedIndex} {store.LastIndex}");
while (true)
{
    var line = CrashWorkload.NextOperation(store, random, ref term);
    output.WriteLine(line);
    await CrashWorkload.ApplyAsync(store, line);
    output.WriteLine("A");
}
