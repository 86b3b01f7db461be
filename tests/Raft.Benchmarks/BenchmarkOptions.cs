using System.Globalization;

namespace Raft.Benchmarks;

/// <summary>Command-line settings of the benchmarks.</summary>
internal sealed record BenchmarkOptions(string Directory, double Seconds, double WarmupSeconds, int RecoveryMegabytes, string? Only)
{
    public static BenchmarkOptions Parse(string[] args)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"raft-bench-{Environment.ProcessId}");
        var seconds = 2.0;
        var warmup = 1.0;
        var recoveryMegabytes = 1024;
        string? only = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--dir": directory = value; break;
                case "--seconds": seconds = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--warmup": warmup = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--recovery-mb": recoveryMegabytes = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--only": only = value; break; // 64x16, shared or recovery
                default: throw new ArgumentException($"unknown option {args[i]}");
            }

            i++;
        }

        return new BenchmarkOptions(directory, seconds, warmup, recoveryMegabytes, only);
    }
}
