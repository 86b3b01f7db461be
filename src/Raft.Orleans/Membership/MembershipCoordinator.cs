using System.Globalization;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Raft.Actors.Admin;
using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Runtime;
using Raft.Orleans.Runtime;

namespace Raft.Orleans.Membership;

/// <summary>
/// Automatic membership, run on every silo: each review it looks at the groups whose leader is
/// this silo's replica (the leader is the group's one coordinator; no other silo acts for it) and
/// moves each at most one step towards its <see cref="ReplicaPlacement"/> over the silos that are
/// up: a missing member joins as a learner (its silo first starts an empty replica), a later
/// review promotes it once caught up (as <see cref="RaftAdmin.AddPeerAsync"/> does, spread over
/// reviews so no review waits on a catch-up); only then, with one voter more than the replication factor, is a member that should not be
/// there removed (<see cref="RaftAdmin.RemovePeerAsync"/>) and its silo told to drop the replica.
/// </summary>
/// <remarks>
/// <para>Never removes first: a voter goes only while the group has more voters than the
/// replication factor. A silo that is down counts as a member for
/// <see cref="RaftOptions.DeadSiloGracePeriod"/> (measured from when this silo first saw it down),
/// after which it is replaced; an active voter is not moved away while another voter is down.</para>
/// <para>A node whose disk a group has on record but which is no longer its member cannot come back
/// under its id (see docs/membership.md): such a group places its replicas elsewhere.</para>
/// <para>Reviews run on one loop; a group's step runs in the background and the group is skipped by
/// later reviews until the step is done.</para>
/// </remarks>
internal sealed partial class MembershipCoordinator : IAsyncDisposable
{
    private readonly RaftSilo _silo;
    private readonly RaftOptions _options;
    private readonly SiloDirectory _directory;
    private readonly RaftSiloServiceClient _client;
    private readonly IClusterMembershipService _membership;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RaftAdminOptions _adminOptions;
    private readonly Dictionary<ulong, long> _downSince = [];
    private readonly Dictionary<ulong, Task> _steps = [];
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public MembershipCoordinator(RaftSilo silo, RaftOptions options, SiloDirectory directory, RaftSiloServiceClient client, IClusterMembershipService membership, TimeProvider time, ILogger<MembershipCoordinator> logger)
    {
        _silo = silo;
        _options = options;
        _directory = directory;
        _client = client;
        _membership = membership;
        _time = time;
        _logger = logger;
        _adminOptions = new RaftAdminOptions { Timeout = options.RequestTimeout, PollInterval = options.TickInterval };
    }

    /// <summary>Starts reviewing every <see cref="RaftOptions.MembershipCheckInterval"/> and on every cluster membership change.</summary>
    public void Start() => _loop = Task.WhenAll(Task.Run(RunAsync), Task.Run(WatchAsync));

    /// <summary>Stops reviewing and waits for the steps in progress.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        await Task.WhenAll(_steps.Values).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task WatchAsync()
    {
        try
        {
            await foreach (var _ in _membership.MembershipUpdates.WithCancellation(_stop.Token).ConfigureAwait(false))
            {
                Wake();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // A review is already due.
        }
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await ReviewAsync().ConfigureAwait(false);
                await _wake.WaitAsync(_options.MembershipCheckInterval, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogReviewFailed(_silo.SiloName, ex);
                await Task.Delay(_options.MembershipCheckInterval, _time, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One review: who is up, where the groups should be, and one step for each group led here.</summary>
    private async Task ReviewAsync()
    {
        if (_silo.Host is not { } host)
        {
            return;
        }

        foreach (var done in _steps.Where(s => s.Value.IsCompleted).Select(s => s.Key).ToArray())
        {
            _steps.Remove(done);
        }

        var led = new List<(RaftReplica Replica, RaftStatus Status)>();
        foreach (var group in _silo.Groups)
        {
            if (_steps.ContainsKey(group) || host.GetReplica(group) is not { Role: RaftRole.Leader, Fault: null } replica)
            {
                continue;
            }

            try
            {
                var status = await replica.GetStatusAsync(_stop.Token).ConfigureAwait(false);
                if (status.Role == RaftRole.Leader)
                {
                    led.Add((replica, status));
                }
            }
            catch (Exception ex) when (ex is TimeoutException or RaftReplicaFaultedException or InvalidOperationException or ObjectDisposedException)
            {
                // The replica stopped or stalled; the next review looks again.
            }
        }

        var active = _directory.Active;
        var now = _time.GetTimestamp();
        var known = new HashSet<ulong>(active.Keys);
        known.UnionWith(_directory.Inactive);
        known.UnionWith(_downSince.Keys);
        foreach (var (_, status) in led)
        {
            known.UnionWith(status.Configuration.Members());
        }

        foreach (var node in known)
        {
            if (active.ContainsKey(node))
            {
                _downSince.Remove(node);
            }
            else
            {
                _downSince.TryAdd(node, now);
            }
        }

        var gone = known.Where(IsGone).ToHashSet();
        var view = new ClusterView(active.Keys.ToHashSet(), known.Where(n => !gone.Contains(n)).ToHashSet(), gone);
        if (led.Count == 0 || view.Up.Count == 0)
        {
            return;
        }

        var plan = ReplicaPlacement.Plan(_silo.Groups, view.Up, _options.ReplicationFactor);
        foreach (var (replica, status) in led)
        {
            _steps[replica.Group] = Task.Run(() => StepAsync(replica, status, plan[replica.Group], view));
        }
    }

    /// <summary>A learner may be promoted once the leader knows it holds the log to within <see cref="RaftAdminOptions.CatchUpLag"/> entries.</summary>
    private bool CaughtUp(RaftStatus status, ulong node) =>
        status.Followers.TryGetValue(node, out var follower) && follower.Match > 0 && follower.Lag <= _adminOptions.CatchUpLag;

    private bool IsGone(ulong node) =>
        _downSince.TryGetValue(node, out var since) && _time.GetElapsedTime(since) >= _options.DeadSiloGracePeriod;

    /// <summary>Moves one group one step towards where it should be.</summary>
    private async Task StepAsync(RaftReplica leader, RaftStatus status, ulong[] planned, ClusterView view)
    {
        var group = leader.Group;
        var conf = status.Configuration;
        if (conf.IsJoint)
        {
            return; // the leader finishes a joint change by itself
        }

        var factor = _options.ReplicationFactor;
        var desired = ReplicaPlacement.Desired(group, planned, view.Up, factor, n => conf.Contains(n) || conf.DiskOf(n) == 0);
        var admin = new RaftAdmin(group, id => id == leader.NodeId ? leader : null, [leader.NodeId], _adminOptions);
        try
        {
            var stale = conf.Learners.Where(l => !desired.Contains(l)).ToArray();
            if (stale.Length > 0)
            {
                LogChange(group, "removes learner(s)", string.Join(", ", stale), conf.ToString());
                await admin.RemoveLearnersAsync(stale, _stop.Token).ConfigureAwait(false);
                await LeaveAsync(stale.Where(view.Active.Contains), group).ConfigureAwait(false);
                return;
            }

            var voters = conf.Voters;
            if (voters.Length > factor)
            {
                // One more voter than the factor: a replacement was promoted, so one member may go.
                // A gone member first; an active one only while every other voter is up, so the group
                // never drops to a bare majority of working voters by our doing.
                var anyDown = voters.Where(v => !view.Active.Contains(v)).ToArray();
                var removable = voters
                    .Where(v => !desired.Contains(v))
                    .Where(v => view.Gone.Contains(v) || (view.Active.Contains(v) && anyDown.All(d => d == v)))
                    .OrderBy(v => view.Gone.Contains(v) ? 0 : v == leader.NodeId ? 2 : 1)
                    .FirstOrDefault();
                if (removable != 0)
                {
                    LogChange(group, "removes voter", removable.ToString(CultureInfo.InvariantCulture), conf.ToString());
                    await admin.RemovePeerAsync(removable, _stop.Token).ConfigureAwait(false);
                    await LeaveAsync(view.Active.Contains(removable) ? [removable] : [], group).ConfigureAwait(false);
                }

                return;
            }

            // A missing member joins as a learner; it is promoted by a later review, once caught up,
            // and only while the group has no voter to spare (one promotion, then one removal).
            var missing = desired.Where(d => !voters.Contains(d) && view.Active.Contains(d)).ToArray();
            var ready = missing.FirstOrDefault(d => conf.Learners.Contains(d) && CaughtUp(status, d));
            if (ready != 0 && voters.Length <= factor)
            {
                LogChange(group, "promotes learner", ready.ToString(CultureInfo.InvariantCulture), conf.ToString());
                await admin.PromoteLearnerAsync(ready, _stop.Token).ConfigureAwait(false);
                return;
            }

            var joining = missing.Where(d => !conf.Learners.Contains(d)).ToArray();
            if (joining.Length > 0)
            {
                foreach (var node in joining)
                {
                    // The learner's replica must run before the leader sends it the log.
                    var silo = _directory.SiloOf(node) ?? throw new InvalidOperationException($"Node {node} has no active silo.");
                    await _client.On(silo).Join(group).WaitAsync(_options.RequestTimeout, _stop.Token).ConfigureAwait(false);
                }

                LogChange(group, "adds learner(s)", string.Join(", ", joining), conf.ToString());
                await admin.AddLearnersAsync(joining, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // Leadership moved, a change timed out, a silo went away: the next review starts over
            // from the configuration then in force.
            LogStepFailed(group, ex);
        }
    }

    private async Task LeaveAsync(IEnumerable<ulong> nodes, ulong group)
    {
        foreach (var node in nodes)
        {
            if (_directory.SiloOf(node) is { } silo)
            {
                try
                {
                    await _client.On(silo).Leave(group).WaitAsync(_options.RequestTimeout, _stop.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogStepFailed(group, ex);
                }
            }
        }
    }

    /// <summary>What one review saw: the active nodes, the nodes placement counts on (active, or down within the grace period), and which are gone.</summary>
    private sealed record ClusterView(HashSet<ulong> Active, HashSet<ulong> Up, HashSet<ulong> Gone);

    [LoggerMessage(Level = LogLevel.Information, Message = "Group {Group}: this leader {Action} {Nodes} (configuration {Configuration})")]
    private partial void LogChange(ulong group, string action, string nodes, string configuration);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Group {Group}: a membership step did not complete; the next review retries")]
    private partial void LogStepFailed(ulong group, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {Silo}: a membership review failed")]
    private partial void LogReviewFailed(string silo, Exception exception);
}
