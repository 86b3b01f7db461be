// Three actor systems on 127.0.0.1, each a Raft node (Raft.Akka). Clients on every node write
// keys, take sequence ranges and increment a counter under a lock with fencing tokens, while one
// node is terminated mid-run and started again from its data directory. Then every acknowledged
// operation is checked against what the cluster reads back. Exit code 0 only if nothing was lost.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Configuration;
using Raft.Actors.Protocol;
using Raft.Actors.Services;
using Raft.Akka;

var runFor = TimeSpan.FromSeconds(args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 12);
var dataDirectory = Path.Combine(Path.GetTempPath(), "akka-kv", Guid.NewGuid().ToString("N"));
var ports = Enumerable.Range(0, 3).Select(_ => FreePort()).ToArray();
var members = Enumerable.Range(0, 3).ToDictionary(i => (ulong)i + 1, i => $"akka.tcp://kv@127.0.0.1:{ports[i]}");
var systems = new ActorSystem?[3];

for (var i = 0; i < 3; i++)
{
    systems[i] = await StartAsync(i);
}

Console.WriteLine($"Three actor systems on ports {string.Join(", ", ports)}; data under {dataDirectory}.");

var puts = new System.Collections.Concurrent.ConcurrentDictionary<string, (int Acked, int Tried)>();
var ranges = new System.Collections.Concurrent.ConcurrentBag<SequenceRange>();
long increments = 0, unknown = 0, operations = 0;
var clock = Stopwatch.StartNew();
using var stop = new CancellationTokenSource(runFor);

// Clients live outside the node being restarted: nodes 1 and 3 (indexes 0 and 2) serve them.
var clients = Enumerable.Range(0, 6).Select(c => Task.Run(async () =>
{
    var node = c % 2 == 0 ? 0 : 2;
    var raft = RaftExtension.Get(systems[node]!);
    var version = 0;
    var key = $"client-{c}/value";
    var counterLock = raft.ServicesFor("counter").GetLock("counter", new DistributedLockOptions { Lease = TimeSpan.FromSeconds(10) });
    while (!stop.IsCancellationRequested)
    {
        try
        {
            version++;
            puts[key] = (puts.GetValueOrDefault(key).Acked, version);
            await raft.ServicesFor(key).Kv.PutAsync(key, BitConverter.GetBytes(version));
            puts[key] = (version, version);
            ranges.Add(await raft.ServicesFor("ids").GetSequence("ids").NextAsync(5));
            await using (var held = await counterLock.AcquireAsync(TimeSpan.FromSeconds(20)))
            {
                var kv = raft.ServicesFor("counter").Kv;
                var current = await kv.GetAsync("counter/value");
                var next = (current is null ? 0 : BitConverter.ToInt64(current)) + 1;
                await kv.PutAsync("counter/value", BitConverter.GetBytes(next), held.Fence);
                Interlocked.Increment(ref increments);
            }

            Interlocked.Add(ref operations, 3);
        }
        catch (Exception ex) when (ex is UnknownOutcomeException or TimeoutException or FencingTokenRejectedException or LockLostException)
        {
            // Not acknowledged: it may or may not have applied, and the check allows for both.
            Interlocked.Increment(ref unknown);
        }
    }
})).ToArray();

var restarts = 0;
await Task.Delay(runFor / 3);
Console.WriteLine($"[{clock.Elapsed.TotalSeconds,5:F1}s] terminating node 2 ({Interlocked.Read(ref operations)} operations so far)");
await systems[1]!.Terminate();
systems[1] = null;
await Task.Delay(runFor / 4);
Console.WriteLine($"[{clock.Elapsed.TotalSeconds,5:F1}s] starting node 2 again from its data directory");
systems[1] = await StartAsync(1);
restarts++;
await Task.WhenAll(clients);
Console.WriteLine($"[{clock.Elapsed.TotalSeconds,5:F1}s] clients stopped: {operations} operations acknowledged, {unknown} with an unknown outcome.");

// Check from the restarted node: every acknowledged write is there.
var check = RaftExtension.Get(systems[1]!);
var lost = 0;
foreach (var (key, (acked, tried)) in puts)
{
    var value = await check.ServicesFor(key).Kv.GetAsync(key);
    var stored = value is null ? 0 : BitConverter.ToInt32(value);
    if (stored < acked || stored > tried)
    {
        Console.WriteLine($"LOST: {key} holds version {stored}, acknowledged {acked}, tried up to {tried}");
        lost++;
    }
}

var counterBytes = await check.ServicesFor("counter").Kv.GetAsync("counter/value");
var counter = counterBytes is null ? 0 : BitConverter.ToInt64(counterBytes);
if (counter < increments || counter > increments + unknown)
{
    Console.WriteLine($"LOST: the counter is {counter} after {increments} acknowledged increments ({unknown} unknown outcomes)");
    lost++;
}

var sorted = ranges.OrderBy(r => r.Start).ToArray();
var overlaps = sorted.Zip(sorted.Skip(1)).Count(p => p.First.End > p.Second.Start);
if (overlaps > 0)
{
    Console.WriteLine($"LOST: {overlaps} sequence ranges overlap");
    lost += overlaps;
}

Console.WriteLine($"{puts.Count} keys, counter {counter} after {increments} acknowledged increments, {ranges.Count} disjoint sequence ranges.");
foreach (var system in systems)
{
    if (system is not null)
    {
        await system.Terminate();
    }
}

Directory.Delete(dataDirectory, recursive: true);
Console.WriteLine($"akka-kv: {operations} operations, {restarts} restarts, {lost} lost");
return lost == 0 ? 0 : 1;

async Task<ActorSystem> StartAsync(int index)
{
    var raft = new RaftSettings
    {
        ClusterId = "akka-kv",
        NodeId = (ulong)index + 1,
        DataDirectory = dataDirectory,
        Groups = 2,
        Members = members,
        TickInterval = TimeSpan.FromMilliseconds(20),
        AttemptTimeout = TimeSpan.FromSeconds(2),
        RequestTimeout = TimeSpan.FromSeconds(20),
    };
    var config = ConfigurationFactory.ParseString(raft.ToHocon()).WithFallback(ConfigurationFactory.ParseString($$"""
        akka.loglevel = ERROR   # remoting warns about the terminated node's address every 200 ms
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = {{ports[index]}} }
        akka.remote.retry-gate-closed-for = 200ms
        akka.extensions = ["Raft.Akka.RaftExtensionProvider, Raft.Akka"]
        """));
    var system = ActorSystem.Create("kv", config);
    await RaftExtension.Get(system).Started;
    return system;
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}
