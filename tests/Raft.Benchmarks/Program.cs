using Raft.Benchmarks;
using Raft.Benchmarks.Compare;

// Benchmarks are programs, not timed tests: each prints one JSON line per case.
//   dotnet run -c Release --project tests/Raft.Benchmarks -- wal [--dir D] [--seconds S] [--warmup S]
//       [--recovery-mb N] [--only 64x16|shared|recovery]
//   dotnet run -c Release --project tests/Raft.Benchmarks -- snapshot [--size-mb N] [--runs R] [--dir D]
//       [--codecs none,lz4,zstd,deflate] [--no-fsync]
//   dotnet run -c Release --project tests/Raft.Benchmarks -- multiraft [--groups N] [--idle-seconds S]
//       [--spread-groups G] [--write-seconds S] [--writers W] [--storage memory|shared|file] [--dir D]
//   dotnet run -c Release --project tests/Raft.Benchmarks -- compare [--rounds 3] [--seconds 8] [--warmup 1]
//       [--scenarios 1x64,64x64,1x1024,64x1024] [--dir D] [--budget-seconds 570]
switch (args.Length == 0 ? "" : args[0])
{
    case "wal":
        await WalBenchmark.RunAsync(BenchmarkOptions.Parse(args[1..]));
        return 0;
    case "snapshot":
        return await SnapshotBenchmark.RunAsync(args[1..]);
    case "multiraft":
        return await MultiRaftBenchmark.RunAsync(args[1..]);
    case "compare":
        return await CompareBenchmark.RunAsync(args[1..]);
    default:
        Console.Error.WriteLine("usage: Raft.Benchmarks wal [--dir DIR] [--seconds S] [--warmup S] [--recovery-mb N] [--only 64x16|shared|recovery]");
        Console.Error.WriteLine("       Raft.Benchmarks snapshot [--size-mb N] [--runs R] [--dir DIR] [--codecs LIST] [--no-fsync]");
        Console.Error.WriteLine("       Raft.Benchmarks multiraft [--groups N] [--idle-seconds S] [--spread-groups G] [--write-seconds S] [--writers W] [--storage memory|shared|file] [--dir DIR]");
        Console.Error.WriteLine("       Raft.Benchmarks compare [--rounds R] [--seconds S] [--warmup S] [--scenarios WxB,...] [--dir DIR] [--budget-seconds S]");
        return 2;
}
