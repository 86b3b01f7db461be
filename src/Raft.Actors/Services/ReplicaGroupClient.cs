using System.Diagnostics;
using Raft.Actors.Protocol;
using Raft.Actors.Routing;
using Raft.Actors.Runtime;

namespace Raft.Actors.Services;

/// <summary>
/// Reaches a group wherever its leader is, through an <see cref="IReplicaInvoker"/> (replicas in
/// this process, grain calls, Akka asks): follows the <see cref="GroupRoute"/> to the leader,
/// takes leader hints and membership from every answer, and retries across leader changes. A
/// proposal is retried with its one <see cref="ProposalId"/>, so the group's client sessions
/// apply it at most once however many attempts reached a leader.
/// </summary>
/// <remarks>
/// Thread-safe. What it retries: not the leader, a dropped command (it never commits), an
/// unknown outcome (timeout, or the leader stopped or lost leadership), a faulted, stopped or
/// unreachable replica. A node that failed an attempt is asked last until one succeeds.
/// </remarks>
public sealed class ReplicaGroupClient : IRaftGroupClient
{
    // The invoker waits this much longer than the replica is allowed to, so that the replica's
    // own "unknown" answer (with its route information) arrives before the call is given up.
    private static readonly TimeSpan s_answerGrace = TimeSpan.FromMilliseconds(500);

    private readonly IReplicaInvoker _invoker;
    private readonly ReplicaGroupClientOptions _options;

    /// <summary>Creates a client for one group reached through <paramref name="invoker"/>.</summary>
    /// <param name="route">The group's route; a router shares one per group among its clients.</param>
    /// <param name="invoker">How requests reach a node.</param>
    /// <param name="options">Timeouts; validated here.</param>
    public ReplicaGroupClient(GroupRoute route, IReplicaInvoker invoker, ReplicaGroupClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(invoker);
        _options = options ?? new ReplicaGroupClientOptions();
        _options.Validate();
        Route = route;
        _invoker = invoker;
    }

    /// <summary>Creates a client for one group whose replicas run in this process.</summary>
    /// <param name="group">The group.</param>
    /// <param name="locate">This group's running replica on a node, or null when there is none
    /// (never started, stopped, or unreachable). Called from any thread.</param>
    /// <param name="members">Nodes to ask until a leader reports the membership.</param>
    /// <param name="options">Timeouts; validated here.</param>
    public ReplicaGroupClient(ulong group, Func<ulong, RaftReplica?> locate, IEnumerable<ulong> members, ReplicaGroupClientOptions? options = null)
        : this(new GroupRoute(group, members), new LocalReplicaInvoker((node, _) => locate(node)), options)
    {
        ArgumentNullException.ThrowIfNull(locate);
    }

    /// <inheritdoc />
    public ulong Group => Route.Group;

    /// <summary>Where requests go: the known leader and members.</summary>
    public GroupRoute Route { get; }

    /// <inheritdoc />
    public Task<ReadOnlyMemory<byte>> ProposeAsync(ReadOnlyMemory<byte> command, ProposalId id, CancellationToken cancellationToken = default)
    {
        if (id.ClientId == 0 || id.Sequence == 0)
        {
            throw new ArgumentException($"A proposal id needs a client id and a sequence, neither 0 (was {id}).", nameof(id));
        }

        return RunAsync(Request(ReplicaRequestKind.Propose, command, id), cancellationToken);
    }

    /// <inheritdoc />
    public Task<ReadOnlyMemory<byte>> ReadAsync(ReadOnlyMemory<byte> query, CancellationToken cancellationToken = default) =>
        RunAsync(Request(ReplicaRequestKind.Read, query, default), cancellationToken);

    private ReplicaRequest Request(ReplicaRequestKind kind, ReadOnlyMemory<byte> payload, ProposalId id) =>
        new() { Group = Group, Kind = kind, Payload = payload, ClientId = id.ClientId, Sequence = id.Sequence, Timeout = _options.AttemptTimeout };

    private async Task<ReadOnlyMemory<byte>> RunAsync(ReplicaRequest request, CancellationToken cancellationToken)
    {
        var read = request.Kind == ReplicaRequestKind.Read;
        var what = read ? "read" : $"proposal {request.Id}";
        var clock = Stopwatch.StartNew();
        var handedOver = false;
        string? last = null;
        while (true)
        {
            var node = Route.NextTarget();
            var redirected = false;
            using (var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                attempt.CancelAfter(_options.AttemptTimeout + s_answerGrace);
                try
                {
                    var answer = await _invoker.InvokeAsync(node, request, attempt.Token).ConfigureAwait(false);
                    redirected = Route.Learn(node, answer);
                    if (answer.Status == ReplicaAnswerStatus.Ok)
                    {
                        return answer.Result;
                    }

                    // An unknown outcome means the command may be in the log: from now on only the same
                    // id may be retried, and a failure must say "unknown", never "not applied".
                    handedOver |= !read && answer.Status == ReplicaAnswerStatus.Unknown;
                    last = $"node {node} answered {answer.Status}{(answer.Error is null ? "" : $" ({answer.Error})")}";
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // No answer: the request may have reached the replica.
                    Route.Failed(node);
                    handedOver |= !read;
                    last = $"node {node} did not answer ({ex.Message})";
                }
                catch (OperationCanceledException ex)
                {
                    throw handedOver || !read
                        ? new UnknownOutcomeException($"Group {Group}: the {what} was cancelled after it was sent; it may still apply.", ex)
                        : ex;
                }
            }

            if (clock.Elapsed >= _options.Timeout)
            {
                throw handedOver
                    ? new UnknownOutcomeException($"Group {Group}: the {what} reached a leader but its outcome was not known within {_options.Timeout}; it may still apply. Last: {last}.")
                    : new TimeoutException($"Group {Group}: no leader answered the {what} within {_options.Timeout}. Last: {last}.");
            }

            if (redirected)
            {
                continue;
            }

            try
            {
                await Task.Delay(_options.RetryDelay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (handedOver)
            {
                throw new UnknownOutcomeException($"Group {Group}: {what} was cancelled after it reached a leader; it may still apply.", ex);
            }
        }
    }
}
