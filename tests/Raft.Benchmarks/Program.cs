using Raft.Benchmarks;

// Benchmarks are programs, not timed tests: each prints one JSON line per case.
//   dotnet run -c Release --project tests/Raft.Benchmarks -- wal [--dir D] [--seconds S] [--warmup S]
//       [--recovery-mb N] [--only 64x16|shared|recovery]
//   dotnet run -c Release --project tests/Raft.Benchmarks -- snapshot [--size-mb N] [--runs R] [--dir D]
//       [--codecs none,lz4,zstd,deflate] [--no-fsync]
//   dotnet run -c Release --project tests/Raft.Benchmarks -- multiraft [--groups N] [--idle-seconds S]
//       [--spread-groups G] [--write-seconds S] [--writers W] [--storage memory|shared|file] [--dir D]
switch (args.Length == 0 ? "" : args[0])
{
    case "wal":
        await WalBenchmark.RunAsync(BenchmarkOptions.Parse(args[1..]));
        return 0;
    case "snapshot":
        return await SnapshotBenchmark.RunAsync(args[1..]);
    case "multiraft":
        return await MultiRaftBenchmark.RunAsync(args[1..]);
    default:
        Console.Error.WriteLine("usage: Raft.Benchmarks wal [--dir DIR] [--seconds S] [--warmup S] [--recovery-mb N] [--only 64x16|shared|recovery]");
        Console.Error.WriteLine("       Raft.Benchmarks snapshot [--size-mb N] [--runs R] [--dir DIR] [--codecs LIST] [--no-fsync]");
        Console.Error.WriteLine("       Raft.Benchmarks multiraft [--groups N] [--idle-seconds S] [--spread-groups G] [--write-seconds S] [--writers W] [--storage memory|shared|file] [--dir DIR]");
        return 2;
}
