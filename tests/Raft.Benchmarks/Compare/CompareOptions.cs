using System.Globalization;

namespace Raft.Benchmarks.Compare;

/// <summary>One workload: this many concurrent writers, each appending entries of this size.</summary>
internal sealed record CompareScenario(int Writers, int EntryBytes)
{
    public string Name => $"{Writers}w-{EntryBytes}B";
}

/// <summary>Command-line settings of <c>compare</c>.</summary>
internal sealed record CompareOptions(int Rounds, double Seconds, double WarmupSeconds, CompareScenario[] Scenarios, string Directory, TimeSpan Budget)
{
    public const int DefaultRounds = 3;
    public const double DefaultSeconds = 8;
    public const double DefaultWarmupSeconds = 1;

    /// <summary>The whole command is abandoned (exit 1) past this; default runs take about 5 minutes.</summary>
    public static readonly TimeSpan DefaultBudget = TimeSpan.FromMinutes(9.5);

    public static CompareOptions Parse(string[] args)
    {
        var rounds = DefaultRounds;
        var seconds = DefaultSeconds;
        var warmup = DefaultWarmupSeconds;
        var budget = DefaultBudget;
        var directory = Path.Combine(Path.GetTempPath(), $"raft-bench-compare-{Environment.ProcessId}");
        CompareScenario[] scenarios = [new(1, 64), new(64, 64), new(1, 1024), new(64, 1024)];
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--rounds": rounds = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--warmup": warmup = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--budget-seconds": budget = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)); break;
                case "--dir": directory = value; break;
                case "--scenarios": scenarios = [.. value.Split(',').Select(ParseScenario)]; break; // e.g. 1x64,64x1024
                default: throw new ArgumentException($"unknown option {args[i]}");
            }

            i++;
        }

        if (rounds < 1 || seconds <= 0 || warmup < 0)
        {
            throw new ArgumentException($"--rounds must be at least 1 and --seconds positive (got {rounds}, {seconds})");
        }

        return new CompareOptions(rounds, seconds, warmup, scenarios, directory, budget);
    }

    private static CompareScenario ParseScenario(string text)
    {
        var parts = text.Split('x');
        return parts.Length == 2
            ? new CompareScenario(int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture))
            : throw new ArgumentException($"a scenario is WRITERSxBYTES, not {text}");
    }
}
