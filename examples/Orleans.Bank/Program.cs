using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Bank;
using Orleans.Configuration;
using Orleans.Storage;

// Three silos in this process on localhost, every account a grain whose state is replicated by
// Raft on all three. Transfers run while silos are killed (no graceful stop) and restarted from
// their data directories. At the end the accounts are read back through Raft and checked: the
// total is what it was, and every acknowledged transfer is in both accounts. Exit 0 only if so.
const int accountCount = 20;
const long opening = 1_000;
const int workerCount = 16;
var runFor = TimeSpan.FromSeconds(36);
var finishWithin = TimeSpan.FromSeconds(30);
var dataRoot = Path.Combine(Path.GetTempPath(), $"orleans-bank-{Environment.ProcessId}");
var silos = new IHost?[3];

var clock = Stopwatch.StartNew();
try
{
    for (var i = 0; i < silos.Length; i++)
    {
        silos[i] = await StartSiloAsync(i);
    }

    Console.WriteLine($"Started 3 silos in {clock.ElapsedMilliseconds} ms; each hosts a replica of 16 Raft groups (data under {dataRoot}).");
    clock.Restart();
    var grains = silos[0]!.Services.GetRequiredService<IGrainFactory>();
    await Task.WhenAll(Enumerable.Range(0, accountCount).Select(a => Retry(async () => { await grains.GetGrain<IAccountGrain>(a).Open(opening); return true; })));
    Console.WriteLine($"Opened {accountCount} accounts with {opening} each in {clock.ElapsedMilliseconds} ms (the groups elect their first leaders meanwhile).");

    var acknowledged = new ConcurrentBag<(long Id, int From, int To, long Amount)>();
    var declined = 0;
    var nextId = 0L;
    var kills = 0;
    using var stop = new CancellationTokenSource(runFor);
    var workers = Enumerable.Range(0, workerCount).Select(w => Task.Run(async () =>
    {
        var random = new Random(w);
        while (!stop.IsCancellationRequested)
        {
            var id = Interlocked.Increment(ref nextId);
            var from = random.Next(accountCount);
            var to = (from + 1 + random.Next(accountCount - 1)) % accountCount;
            var amount = random.Next(1, 50);
            // A transfer is finished even after the run ends: a debit without its credit would break the total.
            if (!await Retry(() => grains.GetGrain<IAccountGrain>(from).Debit(id, amount)))
            {
                Interlocked.Increment(ref declined);
                continue;
            }

            await Retry(async () => { await grains.GetGrain<IAccountGrain>(to).Credit(id, amount); return true; });
            acknowledged.Add((id, from, to, amount));
        }
    })).ToArray();

    // Silo 0 holds the development membership table, so the others take turns dying.
    var schedule = Stopwatch.StartNew();
    foreach (var victim in new[] { 1, 2 })
    {
        await Task.Delay(TimeSpan.FromSeconds(7));
        Console.WriteLine($"[{schedule.Elapsed.TotalSeconds,5:F1}s] killing silo {victim} ({acknowledged.Count} transfers acknowledged so far)");
        await KillAsync(victim);
        kills++;
        await Task.Delay(TimeSpan.FromSeconds(7));
        Console.WriteLine($"[{schedule.Elapsed.TotalSeconds,5:F1}s] restarting silo {victim} from its data directory");
        silos[victim] = await StartSiloAsync(victim);
    }

    await Task.WhenAll(workers).WaitAsync(runFor + finishWithin);
    Console.WriteLine($"[{schedule.Elapsed.TotalSeconds,5:F1}s] transfers stopped: {acknowledged.Count} acknowledged, {declined} declined for lack of funds.");

    // Read every account through Raft (a linearizable read), not from grain memory.
    var storage = silos[0]!.Services.GetRequiredKeyedService<IGrainStorage>("bank");
    var states = new AccountState[accountCount];
    for (var a = 0; a < accountCount; a++)
    {
        var state = new GrainState<AccountState>();
        await storage.ReadStateAsync("account", grains.GetGrain<IAccountGrain>(a).GetGrainId(), state);
        states[a] = state.State!;
    }

    var total = states.Sum(s => s.Balance);
    var lost = acknowledged.Count(t => !states[t.From].Debits.Contains(t.Id) || !states[t.To].Credits.Contains(t.Id));
    var ids = acknowledged.Select(t => t.Id).ToHashSet();
    var phantom = states.Sum(s => s.Debits.Count(id => !ids.Contains(id)) + s.Credits.Count(id => !ids.Contains(id)));
    var expected = Enumerable.Repeat(opening, accountCount).ToArray();
    foreach (var t in acknowledged)
    {
        expected[t.From] -= t.Amount;
        expected[t.To] += t.Amount;
    }

    var wrong = Enumerable.Range(0, accountCount).Count(a => states[a].Balance != expected[a]);
    var conserved = total == accountCount * opening;
    Console.WriteLine($"Total balance {total} (expected {accountCount * opening}); {wrong} accounts differ from the acknowledged transfers; {phantom} applied debits or credits were never acknowledged.");
    var snapshots = Directory.EnumerateFiles(dataRoot, "*.snap", SearchOption.AllDirectories).Count();
    Console.WriteLine($"{acknowledged.Count / runFor.TotalSeconds:F0} transfers/s while silos died and came back; {snapshots} Raft snapshots on disk.");
    var ok = conserved && lost == 0 && wrong == 0 && phantom == 0;
    Console.WriteLine($"bank: {acknowledged.Count} transfers, {kills} silo kills, total {(conserved ? "conserved" : "NOT conserved")}, {lost} lost");
    return ok ? 0 : 1;
}
finally
{
    foreach (var silo in silos.Reverse())
    {
        if (silo is not null)
        {
            await StopAsync(silo);
        }
    }

    if (Directory.Exists(dataRoot))
    {
        Directory.Delete(dataRoot, recursive: true);
    }
}

async Task<IHost> StartSiloAsync(int index)
{
    var builder = Host.CreateApplicationBuilder();
    builder.Logging.ClearProviders();
    builder.UseOrleans(silo => silo
        .UseLocalhostClustering(siloPort: 21111 + index, gatewayPort: 31111 + index, primarySiloEndpoint: new IPEndPoint(IPAddress.Loopback, 21111))
        .Configure<SiloOptions>(o => o.SiloName = $"bank-{index}")
        .Configure<ClusterMembershipOptions>(o =>
        {
            // Declare a killed silo dead within seconds, so its grains come back elsewhere.
            o.ProbeTimeout = TimeSpan.FromSeconds(1);
            o.NumMissedProbesLimit = 2;
            o.NumVotesForDeathDeclaration = 1;
        })
        .AddRaft(o =>
        {
            o.DataDirectory = dataRoot;
            o.Members = ["bank-0", "bank-1", "bank-2"];
            o.Groups = 16;
            o.SnapshotEveryEntries = 500;
            o.AttemptTimeout = TimeSpan.FromSeconds(2);
            o.ProposalTimeout = TimeSpan.FromSeconds(2);
        })
        .AddRaftGrainStorage("bank"));
    var host = builder.Build();
    await host.StartAsync();
    return host;
}

async Task KillAsync(int index)
{
    var host = silos[index]!;
    silos[index] = null;
    // A cancelled token skips the graceful stages, as a crash would; disposal releases the ports and files.
    await host.StopAsync(new CancellationToken(canceled: true));
    await ((IAsyncDisposable)host).DisposeAsync();
}

static async Task StopAsync(IHost host)
{
    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
    try
    {
        await host.StopAsync(timeout.Token);
    }
    catch (OperationCanceledException)
    {
    }

    await ((IAsyncDisposable)host).DisposeAsync();
}

// Retries a call until it succeeds: every operation is idempotent by transfer id. Bounded by the run.
async Task<T> Retry<T>(Func<Task<T>> call)
{
    var deadline = Stopwatch.StartNew();
    while (true)
    {
        try
        {
            return await call().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception) when (deadline.Elapsed < runFor + finishWithin)
        {
            await Task.Delay(50);
        }
    }
}
