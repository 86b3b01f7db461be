using System.Diagnostics;
using Raft.Actors.Testing.Simulation;

// Runs many seeded simulations of a Raft group under faults and reports every seed that broke
// an invariant. Usage: --seeds N [--start S] [--nodes 3|5] [--clients N] [--workload default|membership|services]
// [--lease-reads on|off] [--scenario one-at-a-time|lease] [--plant NAME] [--verbose]
// (services planted bugs: --workload services --plant stale-fence|unsnapshotted-sequence)
var seeds = 100;
ulong start = 1;
var nodes = 3;
var clients = new SimulationOptions().Clients;
var workload = "default";
bool? leaseReads = null;
string? plant = null;
string? scenario = null;
var verbose = false;
var usage = $"Usage: --seeds N [--start S] [--nodes 3|5] [--clients N] [--workload {string.Join("|", SimulationOptions.KnownWorkloads)}] [--lease-reads on|off] [--scenario {string.Join("|", SimulationOptions.KnownScenarios)}] [--plant {string.Join("|", SimulationOptions.KnownPlantedBugs)}] [--verbose]";
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--seeds":
            seeds = int.Parse(args[++i]);
            break;
        case "--start":
            start = ulong.Parse(args[++i]);
            break;
        case "--nodes":
            nodes = int.Parse(args[++i]);
            break;
        case "--clients":
            clients = int.Parse(args[++i]);
            break;
        case "--workload":
            workload = args[++i];
            break;
        case "--lease-reads":
            leaseReads = args[++i] == "on";
            break;
        case "--scenario":
            scenario = args[++i];
            break;
        case "--plant":
            plant = args[++i];
            break;
        case "--verbose":
            verbose = true;
            break;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'. {usage}");
            return 2;
    }
}

var violations = 0;
var clock = Stopwatch.StartNew();
long operations = 0;
for (var k = 0; k < seeds; k++)
{
    var seed = start + (ulong)k;
    var result = new RaftSimulation(new SimulationOptions { Seed = seed, Nodes = nodes, Clients = clients, Workload = workload, LeaseReads = leaseReads, Scenario = scenario, PlantedBug = plant }).Run();
    operations += result.Operations;
    if (!result.Passed)
    {
        violations++;
        Console.WriteLine($"FAIL {result}");
        Console.WriteLine($"  replay: dotnet run -c Release --project tests/Raft.Simulation -- --seeds 1 --start {seed} --nodes {nodes} --clients {clients} --workload {workload}{(leaseReads is { } l ? " --lease-reads " + (l ? "on" : "off") : "")}{(scenario is null ? "" : " --scenario " + scenario)}{(plant is null ? "" : " --plant " + plant)}");
    }
    else if (verbose)
    {
        Console.WriteLine(result);
    }
}

var seconds = clock.Elapsed.TotalSeconds;
Console.WriteLine($"{operations} client operations in {seconds:F1} s ({seeds / seconds:F1} seeds/s)");
Console.WriteLine($"simulation: {seeds} seeds, {violations} violations");
return violations > 0 ? 1 : 0;
