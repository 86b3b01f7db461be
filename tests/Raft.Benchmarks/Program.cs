using Raft.Benchmarks;

// Benchmarks are programs, not timed tests: each prints one JSON line per case.
//   dotnet run -c Release --project tests/Raft.Benchmarks -- wal [--dir D] [--seconds S] [--warmup S]
//       [--recovery-mb N] [--only 64x16|recovery]
if (args.Length == 0 || args[0] != "wal")
{
    Console.Error.WriteLine("usage: Raft.Benchmarks wal [--dir DIR] [--seconds S] [--warmup S] [--recovery-mb N] [--only 64x16|recovery]");
    return 2;
}

var options = BenchmarkOptions.Parse(args[1..]);
await WalBenchmark.RunAsync(options);
return 0;
