using System.Buffers.Binary;
using Raft.Actors.Protocol;
using Raft.Actors.Storage;

namespace Raft.Actors.Consensus;

/// <summary>
/// One replica's Raft protocol as a pure, deterministic state machine: inputs are
/// <see cref="Step"/>, <see cref="Tick"/>, <see cref="Propose"/> and <see cref="ReadIndex"/>;
/// every effect comes back as data through <see cref="GetReady"/>. No clocks, threads, I/O or
/// ambient randomness. Not thread-safe: one owner calls it at a time.
/// </summary>
public sealed partial class RaftNode
{
    private readonly RaftNodeOptions _options;
    private readonly IRandomSource _random;
    private readonly RaftLog _log;
    private readonly ProgressTracker _tracker;
    private readonly ReadIndexQueue _reads = new();
    private readonly List<RaftMessage> _messagesNow = [];
    private readonly List<RaftMessage> _messagesAfterPersist = [];
    private readonly List<RaftMessage> _selfAfterPersist = [];
    private RaftMessage[] _selfInOutstandingReady = [];
    private readonly List<ReadState> _readStates = [];
    private HardState _persistedHardState;
    private readonly bool _startedWithEmptyDisk;
    private readonly ulong _diskId;
    private bool _refusalReported;
    private SnapshotMetadata? _snapshot;
    private SnapshotMetadata? _snapshotToInstall;
    private long _ticks;
    private int _electionElapsed;
    private int _leasePromiseTicks;
    private int _heartbeatElapsed;
    private int _randomizedElectionTimeout;
    private bool _appendPending;
    private long _readyNumber;
    private long? _outstandingReady;

    /// <summary>
    /// Creates a node from what its storage holds (nothing, for a new group). When the state
    /// machine was restored from <paramref name="snapshot"/>, entries up to its index count as
    /// applied and its membership replaces the initial one.
    /// </summary>
    public RaftNode(RaftNodeOptions options, IRandomSource random, LogState? restored = null, SnapshotMetadata? snapshot = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        options.Validate();
        _options = options;
        _random = random;
        restored ??= new LogState(HardState.Empty, 0, 0, []);
        var hs = restored.HardState;
        if (snapshot is not null && snapshot.Index < restored.CompactedIndex)
        {
            throw new ArgumentException($"Snapshot {snapshot.Index}@{snapshot.Term} is older than the log's compaction point {restored.CompactedIndex}: entries in between are lost.", nameof(snapshot));
        }

        var applied = snapshot?.Index ?? restored.CompactedIndex;
        _log = new RaftLog(restored.CompactedIndex, restored.CompactedTerm, restored.Entries, Math.Max(hs.Commit, applied), applied, snapshot?.ConfState ?? options.InitialConfiguration);
        _snapshot = snapshot;
        _tracker = new ProgressTracker(_log.Configuration, options.MaxInflightMessages, options.MaxInflightBytes);
        _tracker.Reconfigure(_log.Configuration, _log.ConfigurationAt(_log.Committed));
        _diskId = restored.DiskId;
        _persistedHardState = hs;
        _startedWithEmptyDisk = hs.IsEmpty && restored.Entries.Count == 0 && restored.CompactedIndex == 0 && snapshot is null;
        Term = hs.Term;
        Vote = hs.Vote;

        // Thesis §6.4.1: a follower that acknowledged a leader promised not to help elect
        // another for an election timeout, and a leader may be serving reads on that promise.
        // A restart forgets when it last heard from the leader, so it keeps the promise for a
        // whole election timeout of its own clock. A node on an empty disk promised nothing.
        _leasePromiseTicks = options.LeaseReads && !_startedWithEmptyDisk ? options.ElectionTicks : 0;
        BecomeFollower(Term, 0);
    }

    /// <summary>This node's id.</summary>
    public ulong Id => _options.Id;

    /// <summary>The group this node replicates.</summary>
    public ulong Group => _options.Group;

    /// <summary>Current term.</summary>
    public ulong Term { get; private set; }

    /// <summary>Whom this node voted for in <see cref="Term"/> (0 = nobody).</summary>
    public ulong Vote { get; private set; }

    /// <summary>Current role.</summary>
    public RaftRole Role { get; private set; }

    /// <summary>The leader of <see cref="Term"/> as far as this node knows (0 = unknown).</summary>
    public ulong Leader { get; private set; }

    /// <summary>Highest index known committed.</summary>
    public ulong CommitIndex => _log.Committed;

    /// <summary>Highest index handed out for applying and acknowledged through <see cref="Advance"/>.</summary>
    public ulong AppliedIndex => _log.Applied;

    /// <summary>Index of the last entry in the log.</summary>
    public ulong LastIndex => _log.LastIndex;

    /// <summary>The in-memory log, for the simulator's checkers.</summary>
    internal RaftLog Log => _log;

    /// <summary>Current membership: the one set by the last configuration entry in the log, committed or not.</summary>
    public ConfState Configuration => _log.Configuration;

    /// <summary>Index of the entry that set <see cref="Configuration"/> (the snapshot's index, or 0, when no entry after it did).</summary>
    public ulong ConfigurationIndex => _log.ConfigurationIndex;

    /// <summary>
    /// Set when a member refused this node because its storage is not the one the group
    /// recorded for its id; the node then takes no further part and the runtime must stop it.
    /// </summary>
    public NodeRefusal? Refusal { get; private set; }

    /// <summary>What a snapshot of the state machine as of <paramref name="appliedIndex"/> covers.</summary>
    public SnapshotMetadata SnapshotMetadataAt(ulong appliedIndex)
    {
        if (appliedIndex > _log.Applied || !_log.TryTerm(appliedIndex, out var term))
        {
            throw new ArgumentOutOfRangeException(nameof(appliedIndex), $"{this}: {appliedIndex} is not an applied entry held in the log.");
        }

        return new SnapshotMetadata { Index = appliedIndex, Term = term, ConfState = _log.ConfigurationAt(appliedIndex) };
    }

    /// <summary>Advances logical time by one tick: election timeouts, heartbeats, quorum checks.</summary>
    public void Tick()
    {
        if (Refusal is not null)
        {
            return;
        }

        _ticks++;
        if (_leasePromiseTicks > 0)
        {
            _leasePromiseTicks--;
        }

        if (Role == RaftRole.Leader)
        {
            TickLeader();
        }
        else
        {
            TickElection();
        }
    }

    /// <summary>
    /// Handles a message from a peer. Messages for another node or group, or from no one, are
    /// ignored (returns false): a misrouted message must not change state.
    /// </summary>
    public bool Step(RaftMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.To != Id || message.From == 0 || message.From == Id || message.Group != Group || Refusal is not null)
        {
            return false;
        }

        StepInternal(message);
        return true;
    }

    /// <summary>
    /// Proposes a command. On the leader it is appended (replicated with the next Ready);
    /// elsewhere the result says who the leader is. <paramref name="clientId"/> and
    /// <paramref name="sequence"/> identify the proposal so a retry applies at most once.
    /// </summary>
    public ProposeResult Propose(ReadOnlyMemory<byte> data, ulong clientId = 0, ulong sequence = 0) =>
        Role == RaftRole.Leader && TransferInProgress is { } transfer
            ? ProposeResult.Busy(LeadTransferee, transfer)
            : AppendProposal(EntryType.Normal, data, clientId, sequence);

    /// <summary>
    /// Asks for a linearizable read index. The answer arrives as a <see cref="ReadState"/> with
    /// <paramref name="requestId"/> in a later Ready; serve the read once applied reaches its index.
    /// Returns false when no leader is known (the request is dropped; retry later).
    /// </summary>
    public bool ReadIndex(ulong requestId)
    {
        if (Role == RaftRole.Leader)
        {
            HandleReadRequest(new PendingRead(Id, requestId));
            return true;
        }

        if (Leader == 0)
        {
            return false;
        }

        Send(new RaftMessage { Type = MessageType.ReadIndex, To = Leader, Context = EncodeId(requestId) });
        return true;
    }

    /// <summary>The newest snapshot this node holds (taken locally or installed), or null.</summary>
    public SnapshotMetadata? LatestSnapshot => _snapshot;

    /// <summary>
    /// Records that the runtime durably stored a snapshot of the state machine as of
    /// <paramref name="snapshot"/>.Index (at or below the applied index); it is what this node
    /// sends followers whose next entry was compacted away.
    /// </summary>
    public void SnapshotTaken(SnapshotMetadata snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.Index > _log.Applied || snapshot.Term != TermAtOrSnapshot(snapshot.Index))
        {
            throw new ArgumentException($"{this}: snapshot {snapshot.Index}@{snapshot.Term} does not match an applied entry.", nameof(snapshot));
        }

        if (_snapshot is null || snapshot.Index > _snapshot.Index)
        {
            _snapshot = snapshot;
        }
    }

    /// <summary>
    /// Drops log entries up to <paramref name="throughIndex"/> from memory; the runtime compacts
    /// its store likewise. Must not pass the latest snapshot: followers behind it need a snapshot.
    /// </summary>
    public void Compact(ulong throughIndex)
    {
        if (_snapshot is null || throughIndex > _snapshot.Index)
        {
            throw new InvalidOperationException($"{this}: cannot compact through {throughIndex} past the latest snapshot {_snapshot?.Index.ToString() ?? "(none)"}.");
        }

        _log.Compact(throughIndex);
    }

    /// <summary>
    /// The runtime's report on a snapshot transfer to <paramref name="follower"/>: on failure the
    /// leader probes again (and sends a snapshot again if still needed); on success it waits for
    /// the follower's acknowledgement.
    /// </summary>
    public void ReportSnapshot(ulong follower, bool succeeded)
    {
        if (Role != RaftRole.Leader || !_tracker.Progress.TryGetValue(follower, out var pr) || pr.State != ProgressState.Snapshot)
        {
            return;
        }

        if (succeeded)
        {
            pr.BecomeProbe();
            pr.ProbeSent = true;
        }
        else
        {
            pr.AbortSnapshot();
        }
    }

    /// <summary>Starts an election now (as if the election timeout had passed).</summary>
    public void Campaign() => Hup();

    /// <summary>True when <see cref="GetReady"/> has something to hand out and no Ready is outstanding.</summary>
    public bool HasReady =>
        _outstandingReady is null &&
        ((Refusal is not null && !_refusalReported) || _messagesNow.Count > 0 || _messagesAfterPersist.Count > 0 || _selfAfterPersist.Count > 0 || _readStates.Count > 0 ||
         _appendPending || (Role == RaftRole.Leader && _reads.HasUnsent) ||
         _snapshotToInstall is not null || CurrentHardState != _persistedHardState || _log.Stable < _log.LastIndex || _log.Committed > _log.Applied);

    /// <summary>
    /// Takes the pending effects. Exactly one Ready may be outstanding; <see cref="Step"/>,
    /// <see cref="Tick"/> and the other inputs may be called before it is advanced.
    /// </summary>
    public Ready GetReady()
    {
        if (_outstandingReady is not null)
        {
            throw new InvalidOperationException($"Node {Id}: Ready {_outstandingReady} was not advanced.");
        }

        if (Role == RaftRole.Leader)
        {
            FlushLeaderSends();
        }

        var hs = CurrentHardState;
        var ready = new Ready(++_readyNumber)
        {
            Role = Role,
            Leader = Leader,
            Snapshot = _snapshotToInstall,
            HardState = hs != _persistedHardState ? hs : null,
            EntriesToPersist = _log.Unstable(),
            MessagesNow = [.. _messagesNow],
            MessagesAfterPersist = [.. _messagesAfterPersist],
            CommittedEntries = _log.NextCommitted(),
            ReadStates = [.. _readStates],
            Refusal = _refusalReported ? null : Refusal,
        };
        _refusalReported = Refusal is not null;
        _persistedHardState = hs;
        _snapshotToInstall = null;
        _messagesNow.Clear();
        _messagesAfterPersist.Clear();
        _readStates.Clear();
        _selfInOutstandingReady = [.. _selfAfterPersist];
        _selfAfterPersist.Clear();
        _outstandingReady = ready.Number;
        return ready;
    }

    /// <summary>
    /// Reports that <paramref name="ready"/> was carried out: its entries and hard state are
    /// durable, its messages sent and its committed entries applied.
    /// </summary>
    public void Advance(Ready ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        if (_outstandingReady != ready.Number)
        {
            throw new InvalidOperationException($"Node {Id}: Advance of Ready {ready.Number}, but the outstanding one is {_outstandingReady?.ToString() ?? "none"}.");
        }

        _outstandingReady = null;
        if (ready.EntriesToPersist.Count > 0)
        {
            var last = ready.EntriesToPersist[^1];
            _log.StableTo(last.Index, last.Term);
        }

        if (ready.CommittedEntries.Count > 0)
        {
            _log.AppliedTo(ready.CommittedEntries[^1].Index);
        }

        if (Role == RaftRole.Leader)
        {
            // Raft §10.2.1: the leader writes in parallel with its followers and counts
            // itself towards a quorum only for what is durable here.
            OnLeaderEntriesDurable();
        }

        // Only what was queued before this Ready was taken: a vote cast while it was
        // outstanding is written by the next Ready and must not count before that one.
        var self = _selfInOutstandingReady;
        _selfInOutstandingReady = [];
        foreach (var m in self)
        {
            StepInternal(m);
        }
    }

    /// <summary>A snapshot of this node's state for operators and tests.</summary>
    public RaftStatus GetStatus()
    {
        var followers = new Dictionary<ulong, FollowerStatus>();
        if (Role == RaftRole.Leader)
        {
            foreach (var (id, pr) in _tracker.Progress)
            {
                if (id != Id)
                {
                    followers[id] = new FollowerStatus(pr.Match, pr.Next, pr.State, pr.RecentActive, _log.LastIndex - Math.Min(pr.Match, _log.LastIndex));
                }
            }
        }

        return new RaftStatus(
            Id, Group, Term, Vote, Role, Leader, _log.Committed, _log.Applied, _log.LastIndex,
            _snapshot?.Index ?? 0, _log.Configuration, LeadTransferee, followers);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"node {Id} group {Group} {Role} term {Term} leader {Leader} last {_log.LastIndex}@{_log.LastTerm} commit {_log.Committed} applied {_log.Applied} stable {_log.Stable}";

    private HardState CurrentHardState => new(Term, Vote, _log.Committed);

    private ulong TermAtOrSnapshot(ulong index) =>
        _log.TryTerm(index, out var term) ? term : _snapshot?.Index == index ? _snapshot.Term : 0;

    private bool Has(PlantedBug bug) => (_options.PlantedBugs & bug) != 0;

    private bool IsPromotable => _tracker.IsVoter(Id);

    /// <summary>
    /// Whether this node was ever a member, as far as it can tell: a founder, a member of a
    /// configuration in its log, or a member whose disk the group recorded (a record outlives
    /// the removal, and the compaction that may have dropped the configurations listing it).
    /// </summary>
    private bool WasMember =>
        _options.InitialConfiguration.Contains(Id) || _log.Configuration.DiskOf(Id) != 0 || _log.EverContained(Id);

    private void StepInternal(RaftMessage m)
    {
        if (m.Type == MessageType.Refused)
        {
            HandleRefused(m);
            return;
        }

        if (RefuseWipedMember(m))
        {
            return;
        }

        if (m.Term > Term)
        {
            if (m.Type is MessageType.Vote or MessageType.PreVote && !IsTransferVote(m) &&
                ((_options.CheckQuorum && Leader != 0 && _electionElapsed < _options.ElectionTicks) || _leasePromiseTicks > 0))
            {
                // Thesis §4.2.3: we heard from a live leader within the minimum election
                // timeout (or may have, just before a restart); a vote request now comes from a
                // disruptive node, and granting it would break a leader's lease. Ignore it.
                return;
            }

            if (m.Type == MessageType.PreVote || (m.Type == MessageType.PreVoteResponse && !m.Reject))
            {
                // A pre-vote never changes terms: the real election will.
            }
            else
            {
                var leader = m.Type is MessageType.Append or MessageType.Heartbeat or MessageType.Snapshot ? m.From : 0;
                BecomeFollower(m.Term, leader);
            }
        }
        else if (m.Term < Term)
        {
            if ((_options.CheckQuorum || _options.PreVote) && m.Type is MessageType.Append or MessageType.Heartbeat)
            {
                // A deposed leader that we ignore would never learn of the new term; with
                // CheckQuorum or PreVote it could otherwise stay stuck (etcd raft #5451).
                Send(new RaftMessage { Type = MessageType.AppendResponse, To = m.From });
            }
            else if (m.Type == MessageType.PreVote)
            {
                Send(new RaftMessage { Type = MessageType.PreVoteResponse, To = m.From, Reject = true });
            }

            return;
        }

        if (m.Type is MessageType.Vote or MessageType.PreVote)
        {
            HandleVoteRequest(m);
            return;
        }

        switch (Role)
        {
            case RaftRole.Leader:
                StepLeader(m);
                break;
            case RaftRole.Candidate or RaftRole.PreCandidate:
                StepCandidate(m);
                break;
            default:
                StepFollower(m);
                break;
        }
    }

    private void HandleVoteRequest(RaftMessage m)
    {
        var responseType = m.Type == MessageType.Vote ? MessageType.VoteResponse : MessageType.PreVoteResponse;
        var canVote = Vote == m.From || (Vote == 0 && Leader == 0) || (m.Type == MessageType.PreVote && m.Term > Term);
        if (_startedWithEmptyDisk && _log.LastIndex == 0 && m.Index > 0)
        {
            // We started with nothing on disk, yet the group has a log: either we are new, or we
            // lost our disk and with it entries we acknowledged. Voting now could elect a leader
            // that lacks those entries (RethinkDB 2.2, Redis-Raft). Vote only once a leader has
            // given us its log; a brand-new group, where every log is empty, still elects.
            canVote = false;
        }

        if (_log.LastIndex > 0 && !_log.Configuration.Contains(Id) && WasMember)
        {
            // Our log says the group removed us: a removed node never votes again. A node added
            // as a voter that has part of the log but not yet its addition is not in the
            // configuration either, and must vote like a promoted learner that has not heard of
            // its promotion: the group may need its vote to elect the leader that would tell it.
            canVote = false;
        }

        if (canVote && _log.IsUpToDate(m.Index, m.LogTerm))
        {
            // A granted pre-vote answers in the candidate's future term, so the candidate
            // counts it for that term; our own term does not move (thesis §9.6).
            Send(new RaftMessage { Type = responseType, To = m.From, Term = m.Term });
            if (m.Type == MessageType.Vote)
            {
                _electionElapsed = 0;
                Vote = m.From;
            }
        }
        else
        {
            Send(new RaftMessage { Type = responseType, To = m.From, Reject = true });
        }
    }

    private ProposeResult AppendProposal(EntryType type, ReadOnlyMemory<byte> data, ulong clientId, ulong sequence)
    {
        if (Role != RaftRole.Leader)
        {
            return ProposeResult.NotLeader(Leader);
        }

        var entry = new Entry { Index = _log.LastIndex + 1, Term = Term, Type = type, ClientId = clientId, Sequence = sequence, Data = data };
        _log.AppendOwn(entry);
        _appendPending = true;
        if (type == EntryType.ConfChange)
        {
            SyncConfiguration();
        }

        return ProposeResult.Accepted(entry.Index, entry.Term);
    }

    private void BecomeFollower(ulong term, ulong leader)
    {
        Reset(term);
        Role = RaftRole.Follower;
        Leader = leader;
    }

    private void Reset(ulong term)
    {
        if (Term != term)
        {
            Term = term;
            Vote = 0;
        }

        Leader = 0;
        _electionElapsed = 0;
        _heartbeatElapsed = 0;
        AbortLeadershipTransfer();
        _leaseForfeited = false;
        _randomizedElectionTimeout = _options.ElectionTicks + _random.Next(_options.ElectionTicks);
        _tracker.ResetVotes();
        _reads.Clear();
        _appendPending = false;
    }

    /// <summary>
    /// Queues a message. The leader's own traffic (appends, heartbeats) promises nothing about
    /// local durability and may leave at once; everything else (votes, acknowledgements)
    /// waits until the Ready it belongs to is durable.
    /// </summary>
    private void Send(RaftMessage m)
    {
        var term = m.Type is MessageType.PreVote or MessageType.VoteResponse or MessageType.PreVoteResponse && m.Term != 0 ? m.Term : Term;
        m = m with { Group = Group, From = Id, Term = term, DiskId = _diskId };
        if (m.To == Id)
        {
            _selfAfterPersist.Add(m);
        }
        else if (Role == RaftRole.Leader && m.Type is MessageType.Append or MessageType.Heartbeat or MessageType.ReadIndexResponse or MessageType.Snapshot or MessageType.TimeoutNow)
        {
            _messagesNow.Add(m);
        }
        else if (m.Type == MessageType.VoteResponse && !m.Reject && Has(PlantedBug.VoteBeforePersist))
        {
            _messagesNow.Add(m);
        }
        else
        {
            _messagesAfterPersist.Add(m);
        }
    }

    private static ReadOnlyMemory<byte> EncodeId(ulong id)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, id);
        return bytes;
    }

    private static bool TryDecodeId(ReadOnlyMemory<byte> context, out ulong id)
    {
        if (context.Length != 8)
        {
            id = 0;
            return false;
        }

        id = BinaryPrimitives.ReadUInt64BigEndian(context.Span);
        return true;
    }
}
