using System.Text;
using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Storage;
using Xunit;

namespace Raft.Actors.Tests.Consensus;

/// <summary>
/// A deterministic cluster of <see cref="RaftNode"/>s on an in-memory network, like etcd's
/// <c>network</c> in raft_test.go. Each node has a seeded random source and a
/// <see cref="ScenarioDisk"/>; <see cref="Deliver"/> carries out every Ready by the contract
/// (send MessagesNow, persist, send MessagesAfterPersist, apply, Advance) and delivers
/// messages in FIFO order until nothing moves. Rules drop or hold messages; held messages can
/// be released later to reorder them or to deliver them stale. A node can be stopped,
/// restarted from its disk, or crashed with a write in flight; with <see cref="AsyncWrites"/>
/// writes stay in flight while messages keep arriving.
/// </summary>
/// <remarks>
/// Every step is observed: the leaders seen in each term and the entry applied at each index
/// on any node are recorded, so <see cref="AssertSafe"/> checks election safety and
/// state-machine safety over the whole run.
/// </remarks>
internal sealed class ScenarioNetwork
{
    private const int MaxDeliveriesPerCall = 200_000;

    private readonly SortedDictionary<ulong, Slot> _slots = [];
    private readonly LinkedList<(RaftMessage Message, bool Forced)> _queue = new();
    private readonly List<Rule> _rules = [];
    private readonly List<RaftMessage> _held = [];
    private readonly List<RaftMessage> _sent = [];
    private readonly List<RaftMessage> _delivered = [];
    private readonly Dictionary<ulong, SortedSet<ulong>> _leadersByTerm = [];
    private readonly Dictionary<ulong, (ulong Node, Entry Entry)> _appliedAt = [];
    private readonly List<string> _violations = [];

    /// <summary>A cluster of voters 1..<paramref name="size"/>.</summary>
    public ScenarioNetwork(int size, ScenarioOptions? options = null, int seed = 1, Func<ulong, LogState?>? storage = null, Func<ulong, ScenarioOptions, ScenarioOptions>? customize = null)
        : this(ConfState.OfVoters([.. Enumerable.Range(1, size).Select(i => (ulong)i)]), options, seed, storage, customize)
    {
    }

    /// <summary>A cluster of every voter and learner in <paramref name="configuration"/>.</summary>
    public ScenarioNetwork(ConfState configuration, ScenarioOptions? options = null, int seed = 1, Func<ulong, LogState?>? storage = null, Func<ulong, ScenarioOptions, ScenarioOptions>? customize = null)
    {
        options ??= new ScenarioOptions();
        Seed = seed;
        Configuration = configuration;
        foreach (var id in configuration.Voters.Concat(configuration.Learners))
        {
            var nodeOptions = (customize?.Invoke(id, options) ?? options).For(id, configuration);
            var slot = new Slot(id, nodeOptions, new SeededRandom(unchecked((seed * 7919) + (int)id)), new ScenarioDisk(storage?.Invoke(id)));
            _slots.Add(id, slot);
            Start(slot);
        }
    }

    public int Seed { get; }

    public ConfState Configuration { get; }

    public IEnumerable<ulong> Ids => _slots.Keys;

    /// <summary>Ticks in the election timeout of node 1 (every scenario uses one value).</summary>
    public int ElectionTicks => _slots.Values.First().Options.ElectionTicks;

    /// <summary>Every message handed to the network, in order, whether delivered or not.</summary>
    public IReadOnlyList<RaftMessage> Sent => _sent;

    /// <summary>Every message stepped into a node, in order.</summary>
    public IReadOnlyList<RaftMessage> Delivered => _delivered;

    /// <summary>Messages caught by a <see cref="Hold"/> rule and not yet released.</summary>
    public IReadOnlyList<RaftMessage> Held => _held;

    /// <summary>For each term, every node seen as its leader.</summary>
    public IReadOnlyDictionary<ulong, SortedSet<ulong>> LeadersByTerm => _leadersByTerm;

    /// <summary>State-machine safety violations seen so far (two different entries applied at one index).</summary>
    public IReadOnlyList<string> Violations => _violations;

    /// <summary>Called with every Ready the network carries out, before it is carried out.</summary>
    public Action<ulong, Ready>? OnReady { get; set; }

    public RaftNode Node(ulong id) => _slots[id].Node ?? throw new InvalidOperationException($"Node {id} is down.");

    public bool IsRunning(ulong id) => _slots[id].Node is not null;

    public ScenarioDisk Disk(ulong id) => _slots[id].Disk;

    /// <summary>Entries the node's current incarnation applied, in order (a restart replays from index 1).</summary>
    public IReadOnlyList<Entry> Applied(ulong id) => _slots[id].Applied;

    /// <summary>The client commands a node applied, in order (no-ops and configuration entries left out).</summary>
    public IReadOnlyList<string> AppliedCommands(ulong id) =>
        [.. _slots[id].Applied.Where(e => e.Type == EntryType.Normal && !e.Data.IsEmpty).Select(e => Encoding.UTF8.GetString(e.Data.Span))];

    public IReadOnlyList<ReadState> ReadStates(ulong id) => _slots[id].ReadStates;

    /// <summary>The running leader with the highest term, or null.</summary>
    public ulong? Leader
    {
        get
        {
            RaftNode? best = null;
            foreach (var slot in _slots.Values)
            {
                if (slot.Node is { Role: RaftRole.Leader } n && (best is null || n.Term > best.Term))
                {
                    best = n;
                }
            }

            return best?.Id;
        }
    }

    // ---- inputs -----------------------------------------------------------------------

    /// <summary>Ticks one node <paramref name="n"/> times without delivering anything.</summary>
    public void Tick(ulong id, int n = 1)
    {
        var node = Node(id);
        for (var i = 0; i < n; i++)
        {
            node.Tick();
            Observe(node);
        }
    }

    /// <summary><paramref name="rounds"/> times: tick every running node once, then <see cref="Deliver"/>.</summary>
    public void TickAll(int rounds = 1)
    {
        for (var r = 0; r < rounds; r++)
        {
            foreach (var slot in _slots.Values)
            {
                if (slot.Node is { } node)
                {
                    node.Tick();
                    Observe(node);
                }
            }

            Deliver();
        }
    }

    /// <summary>Ticks the whole cluster until <paramref name="condition"/> holds; returns the rounds it took, or -1.</summary>
    public int TickAllUntil(Func<bool> condition, int maxRounds)
    {
        for (var r = 0; r < maxRounds; r++)
        {
            if (condition())
            {
                return r;
            }

            TickAll();
        }

        return condition() ? maxRounds : -1;
    }

    /// <summary>
    /// Ticks the whole cluster until one leader has held its term for
    /// <paramref name="holdElectionTimeouts"/> election timeouts; fails the test if that does not
    /// happen within <paramref name="electionTimeouts"/> election timeouts (PITFALLS row 7).
    /// </summary>
    public ulong StableLeaderWithin(int electionTimeouts, int holdElectionTimeouts = 3)
    {
        var deadline = electionTimeouts * ElectionTicks;
        var hold = holdElectionTimeouts * ElectionTicks;
        ulong candidate = 0, term = 0;
        var held = 0;
        for (var t = 0; t < deadline; t++)
        {
            TickAll();
            if (Leader is { } id && id == candidate && Node(id).Term == term)
            {
                if (++held >= hold)
                {
                    return id;
                }
            }
            else
            {
                (candidate, term, held) = Leader is { } l ? (l, Node(l).Term, 0) : (0UL, 0UL, 0);
            }
        }

        Assert.Fail($"No leader held its term for {holdElectionTimeouts} election timeouts within {electionTimeouts} (seed {Seed}):{Environment.NewLine}{this}");
        return 0;
    }

    public void Campaign(ulong id)
    {
        var node = Node(id);
        node.Campaign();
        Observe(node);
    }

    /// <summary>Campaigns and delivers, and checks that <paramref name="id"/> became leader.</summary>
    public RaftNode Elect(ulong id)
    {
        Campaign(id);
        Deliver();
        var node = Node(id);
        Assert.True(node.Role == RaftRole.Leader, $"node {id} did not win its election: {node}");
        return node;
    }

    public ProposeResult Propose(ulong id, string command) => Node(id).Propose(Encoding.UTF8.GetBytes(command));

    public bool ReadIndex(ulong id, ulong requestId) => Node(id).ReadIndex(requestId);

    /// <summary>Puts a message on the network as if a node had sent it; rules do not apply to it.</summary>
    public void Inject(RaftMessage message) => _queue.AddLast((message, true));

    // ---- delivery ---------------------------------------------------------------------

    /// <summary>
    /// When set, a node's write is not done the moment its Ready is taken: messages keep
    /// arriving (and the node keeps stepping them) while the write is in flight, and the write
    /// completes at a point this seeded source picks. A crash loses a write in flight.
    /// </summary>
    public Random? AsyncWrites { get; set; }

    /// <summary>Called before each step inside <see cref="Deliver"/>, e.g. to crash a node mid-write.</summary>
    public Action? BeforeDeliveryStep { get; set; }

    public bool IsWriting(ulong id) => _slots[id].Writing is not null;

    /// <summary>Carries out Readys and delivers messages until every node is quiet and the queue is empty.</summary>
    public void Deliver()
    {
        var deliveries = 0;
        while (true)
        {
            BeforeDeliveryStep?.Invoke();
            var busy = AsyncWrites is null ? ProcessReadies() : BeginWrites();
            var writing = _slots.Values.Where(s => s.Writing is not null).ToList();
            if (_queue.Count == 0 && writing.Count == 0)
            {
                if (!busy)
                {
                    return;
                }

                continue;
            }

            if (writing.Count > 0 && (_queue.Count == 0 || AsyncWrites!.Next(2) == 0))
            {
                CompleteWrite(writing[AsyncWrites!.Next(writing.Count)]);
                continue;
            }

            var (message, forced) = _queue.First!.Value;
            _queue.RemoveFirst();
            DeliverOne(message, forced);
            if (++deliveries > MaxDeliveriesPerCall)
            {
                throw new InvalidOperationException($"The network did not settle after {MaxDeliveriesPerCall} deliveries (seed {Seed}).");
            }
        }
    }

    /// <summary>Carries out the node's pending Ready (or finishes its write in flight), if any, and returns it for inspection.</summary>
    public Ready? ProcessReady(ulong id)
    {
        var slot = _slots[id];
        if (slot.Writing is null && !BeginWrite(slot))
        {
            return null;
        }

        var ready = slot.Writing!;
        CompleteWrite(slot);
        return ready;
    }

    private bool BeginWrites()
    {
        var any = false;
        foreach (var slot in _slots.Values)
        {
            if (slot.Writing is null)
            {
                any |= BeginWrite(slot);
            }
        }

        return any;
    }

    /// <summary>Takes the node's Ready and lets its MessagesNow leave; the write is then in flight.</summary>
    private bool BeginWrite(Slot slot)
    {
        if (slot.Node is not { HasReady: true } node)
        {
            return false;
        }

        var ready = node.GetReady();
        OnReady?.Invoke(slot.Id, ready);
        Send(ready.MessagesNow);
        slot.Writing = ready;
        return true;
    }

    /// <summary>The write is done: persist, send MessagesAfterPersist, apply, Advance.</summary>
    private void CompleteWrite(Slot slot)
    {
        var node = slot.Node!;
        var ready = slot.Writing!;
        slot.Writing = null;
        slot.Disk.Persist(ready.EntriesToPersist, ready.HardState);
        Send(ready.MessagesAfterPersist);
        foreach (var entry in ready.CommittedEntries)
        {
            Apply(slot, entry);
        }

        slot.ReadStates.AddRange(ready.ReadStates);
        node.Advance(ready);
        Observe(node);
    }

    private bool ProcessReadies()
    {
        var any = false;
        foreach (var id in _slots.Keys)
        {
            while (ProcessReady(id) is not null)
            {
                any = true;
            }
        }

        return any;
    }

    private void Send(IReadOnlyList<RaftMessage> messages)
    {
        foreach (var m in messages)
        {
            _sent.Add(m);
            _queue.AddLast((m, false));
        }
    }

    private void DeliverOne(RaftMessage message, bool forced)
    {
        if (!forced)
        {
            foreach (var rule in _rules)
            {
                if (rule.Matches(message))
                {
                    if (rule.Hold)
                    {
                        _held.Add(message);
                    }

                    return;
                }
            }
        }

        if (!_slots.TryGetValue(message.To, out var slot) || slot.Node is not { } node)
        {
            return;
        }

        _delivered.Add(message);
        node.Step(message);
        Observe(node);
    }

    private void Apply(Slot slot, Entry entry)
    {
        var expected = (ulong)slot.Applied.Count + 1;
        if (entry.Index != expected)
        {
            _violations.Add($"node {slot.Id} applied index {entry.Index}, expected {expected}");
        }

        slot.Applied.Add(entry);
        if (_appliedAt.TryGetValue(entry.Index, out var first))
        {
            if (!first.Entry.Equals(entry))
            {
                _violations.Add($"index {entry.Index}: node {first.Node} applied {first.Entry}, node {slot.Id} applied {entry}");
            }
        }
        else
        {
            _appliedAt[entry.Index] = (slot.Id, entry);
        }
    }

    private void Observe(RaftNode node)
    {
        if (node.Role == RaftRole.Leader)
        {
            if (!_leadersByTerm.TryGetValue(node.Term, out var leaders))
            {
                _leadersByTerm[node.Term] = leaders = [];
            }

            leaders.Add(node.Id);
        }
    }

    // ---- faults -----------------------------------------------------------------------

    /// <summary>Drops every message matching <paramref name="which"/> until the rule is disposed or <see cref="Heal"/>.</summary>
    public IDisposable Drop(Func<RaftMessage, bool> which) => AddRule(which, hold: false);

    /// <summary>Sets aside every message matching <paramref name="which"/> in <see cref="Held"/>, to <see cref="Release"/> later.</summary>
    public IDisposable Hold(Func<RaftMessage, bool> which) => AddRule(which, hold: true);

    public IDisposable Cut(ulong a, ulong b) => Drop(m => (m.From == a && m.To == b) || (m.From == b && m.To == a));

    public IDisposable CutOneWay(ulong from, ulong to) => Drop(m => m.From == from && m.To == to);

    public IDisposable Isolate(ulong id) => Drop(m => m.From == id || m.To == id);

    public IDisposable DropType(MessageType type) => Drop(m => m.Type == type);

    /// <summary>Removes every drop and hold rule. Held messages stay held.</summary>
    public void Heal() => _rules.Clear();

    /// <summary>Queues the held messages matching <paramref name="which"/> (all by default) for delivery, past every rule.</summary>
    public int Release(Func<RaftMessage, bool>? which = null)
    {
        var released = _held.Where(m => which is null || which(m)).ToList();
        foreach (var m in released)
        {
            _held.Remove(m);
            _queue.AddLast((m, true));
        }

        return released.Count;
    }

    /// <summary>Forgets the held messages (they are lost).</summary>
    public void DiscardHeld() => _held.Clear();

    /// <summary>Crashes the node: whatever it did not persist is lost and messages to it are dropped.</summary>
    public void Stop(ulong id)
    {
        var slot = _slots[id];
        slot.Node = null;
        slot.Writing = null;
        slot.Applied.Clear();
        slot.ReadStates.Clear();
    }

    /// <summary>
    /// Adds a node that is in no configuration yet, as an operator would before adding it to the
    /// group: it starts with an empty disk and an empty initial membership, and waits for a leader.
    /// </summary>
    public RaftNode AddNode(ulong id, ScenarioOptions? options = null, ulong diskId = 0)
    {
        var slot = new Slot(id, (options ?? new ScenarioOptions()).For(id, new ConfState()), new SeededRandom(unchecked((Seed * 7919) + (int)id)), new ScenarioDisk { DiskId = diskId });
        _slots.Add(id, slot);
        Start(slot);
        return slot.Node!;
    }

    /// <summary>Crashes the node, replaces its disk by an empty one with <paramref name="newDiskId"/>, and starts it again.</summary>
    public RaftNode Wipe(ulong id, ulong newDiskId)
    {
        Stop(id);
        var slot = _slots[id];
        slot.Disk = new ScenarioDisk { DiskId = newDiskId };
        Start(slot);
        return slot.Node!;
    }

    /// <summary>Starts a stopped node from its disk.</summary>
    public void Start(ulong id)
    {
        var slot = _slots[id];
        if (slot.Node is not null)
        {
            throw new InvalidOperationException($"Node {id} is running.");
        }

        Start(slot);
    }

    /// <summary>Crashes the node and starts it again from its disk.</summary>
    public void Restart(ulong id)
    {
        Stop(id);
        Start(id);
    }

    /// <summary>
    /// Takes the node's pending Ready, lets its MessagesNow leave, and crashes before anything
    /// is persisted: its hard state, entries and MessagesAfterPersist are lost.
    /// </summary>
    public Ready CrashBeforePersist(ulong id)
    {
        var slot = _slots[id];
        Assert.True(slot.Writing is not null || BeginWrite(slot), $"node {id} has no Ready to crash in");
        var ready = slot.Writing!;
        Stop(id);
        return ready;
    }

    // ---- checks -----------------------------------------------------------------------

    /// <summary>Election safety (at most one leader per term) and state-machine safety over the whole run.</summary>
    public void AssertSafe()
    {
        foreach (var (term, leaders) in _leadersByTerm)
        {
            Assert.True(leaders.Count <= 1, $"term {term} had leaders {string.Join(",", leaders)} (seed {Seed})");
        }

        Assert.True(_violations.Count == 0, string.Join("; ", _violations) + $" (seed {Seed})");
    }

    /// <summary>The (index, term) pairs of a node's in-memory log.</summary>
    public IReadOnlyList<(ulong Index, ulong Term)> LogOf(ulong id)
    {
        var log = Node(id).Log;
        var result = new List<(ulong, ulong)>();
        for (var i = log.FirstIndex; i <= log.LastIndex; i++)
        {
            result.Add((i, log.TermOrZero(i)));
        }

        return result;
    }

    public override string ToString() =>
        string.Join(Environment.NewLine, _slots.Values.Select(s => s.Node?.ToString() ?? $"node {s.Id} down"));

    private IDisposable AddRule(Func<RaftMessage, bool> which, bool hold)
    {
        var rule = new Rule(which, hold, _rules);
        _rules.Add(rule);
        return rule;
    }

    private void Start(Slot slot)
    {
        var restored = slot.Disk.ToLogState();
        slot.Node = new RaftNode(slot.Options, slot.Random, restored);
        Observe(slot.Node);
    }

    private sealed class Slot(ulong id, RaftNodeOptions options, IRandomSource random, ScenarioDisk disk)
    {
        public ulong Id { get; } = id;

        public RaftNodeOptions Options { get; } = options;

        public IRandomSource Random { get; } = random;

        public ScenarioDisk Disk { get; set; } = disk;

        public RaftNode? Node { get; set; }

        /// <summary>The Ready whose write is in flight (taken, not yet persisted and advanced).</summary>
        public Ready? Writing { get; set; }

        public List<Entry> Applied { get; } = [];

        public List<ReadState> ReadStates { get; } = [];
    }

    private sealed class Rule(Func<RaftMessage, bool> matches, bool hold, List<Rule> owner) : IDisposable
    {
        public bool Hold { get; } = hold;

        public bool Matches(RaftMessage m) => matches(m);

        public void Dispose() => owner.Remove(this);
    }
}
