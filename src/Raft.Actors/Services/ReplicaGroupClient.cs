using System.Diagnostics;
using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Runtime;

namespace Raft.Actors.Services;

/// <summary>
/// Reaches a group through its <see cref="RaftReplica"/> objects in this process: finds the
/// leader (a replica that leads, or the one the others name), follows
/// <see cref="NotLeaderException"/> hints, and retries across leader changes. A proposal is
/// retried with its one <see cref="ProposalId"/>, so the group's client sessions apply it at
/// most once however many attempts reached a leader.
/// </summary>
/// <remarks>
/// Thread-safe. What it retries: not the leader, a dropped command (it never commits), an
/// unknown outcome (timeout, or the leader stopped or lost leadership), a faulted or stopped
/// replica. A replica that failed an attempt is tried last until one succeeds.
/// </remarks>
public sealed class ReplicaGroupClient : IRaftGroupClient
{
    private readonly Func<ulong, RaftReplica?> _locate;
    private readonly HashSet<ulong> _known;
    private readonly ReplicaGroupClientOptions _options;
    private readonly Lock _gate = new();
    private ulong _leader;
    private ulong _avoid;

    /// <summary>Creates a client for one group.</summary>
    /// <param name="group">The group.</param>
    /// <param name="locate">This group's running replica on a node, or null when there is none
    /// (never started, stopped, or unreachable). Called from any thread.</param>
    /// <param name="members">Nodes to ask; leaders they name are added.</param>
    /// <param name="options">Timeouts; validated here.</param>
    public ReplicaGroupClient(ulong group, Func<ulong, RaftReplica?> locate, IEnumerable<ulong> members, ReplicaGroupClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(locate);
        ArgumentNullException.ThrowIfNull(members);
        _options = options ?? new ReplicaGroupClientOptions();
        _options.Validate();
        Group = group;
        _locate = locate;
        _known = [.. members];
    }

    /// <inheritdoc />
    public ulong Group { get; }

    /// <inheritdoc />
    public Task<ReadOnlyMemory<byte>> ProposeAsync(ReadOnlyMemory<byte> command, ProposalId id, CancellationToken cancellationToken = default)
    {
        if (id.ClientId == 0 || id.Sequence == 0)
        {
            throw new ArgumentException($"A proposal id needs a client id and a sequence, neither 0 (was {id}).", nameof(id));
        }

        return RunAsync(command, id, read: false, cancellationToken);
    }

    /// <inheritdoc />
    public Task<ReadOnlyMemory<byte>> ReadAsync(ReadOnlyMemory<byte> query, CancellationToken cancellationToken = default) =>
        RunAsync(query, default, read: true, cancellationToken);

    private async Task<ReadOnlyMemory<byte>> RunAsync(ReadOnlyMemory<byte> payload, ProposalId id, bool read, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var handedOver = false;
        Exception? last = null;
        while (true)
        {
            if (FindLeader() is { } replica)
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(_options.AttemptTimeout);
                try
                {
                    var result = read
                        ? await replica.ReadAsync(payload, attempt.Token).ConfigureAwait(false)
                        : await replica.ProposeAsync(payload, id, attempt.Token).ConfigureAwait(false);
                    Succeeded(replica.NodeId);
                    return result;
                }
                catch (NotLeaderException ex)
                {
                    last = ex;
                    Redirected(replica.NodeId, ex.LeaderHint);
                }
                catch (UnknownOutcomeException ex)
                {
                    // The command may have reached the log: from now on only the same id may be retried,
                    // and a failure must say "unknown", never "not applied".
                    last = ex;
                    handedOver |= !read;
                    if (cancellationToken.IsCancellationRequested)
                    {
                        throw read ? new OperationCanceledException(ex.Message, ex, cancellationToken) : ex;
                    }

                    Failed(replica.NodeId);
                }
                catch (Exception ex) when (ex is CommandDroppedException or RaftReplicaFaultedException or InvalidOperationException)
                {
                    // Dropped: that entry never commits. Faulted or not started: ask another replica.
                    last = ex;
                    Failed(replica.NodeId);
                }
            }

            if (clock.Elapsed >= _options.Timeout)
            {
                var what = read ? "read" : $"proposal {id}";
                throw handedOver
                    ? new UnknownOutcomeException($"Group {Group}: the {what} reached a leader but its outcome was not known within {_options.Timeout}; it may still apply.", last)
                    : new TimeoutException($"Group {Group}: no leader answered the {what} within {_options.Timeout}.", last);
            }

            try
            {
                await Task.Delay(_options.RetryDelay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (handedOver)
            {
                throw new UnknownOutcomeException($"Group {Group}: proposal {id} was cancelled after it reached a leader; it may still apply.", ex);
            }
        }
    }

    /// <summary>
    /// The replica to try next: the last leader; else one that leads; else one the others name;
    /// else any (it forwards reads and names the leader). The replica that failed the last attempt
    /// is passed over only while another one claims to lead: when it is the only candidate, it is
    /// the one to retry.
    /// </summary>
    private RaftReplica? FindLeader()
    {
        ulong[] known;
        ulong preferred, avoid;
        lock (_gate)
        {
            known = [.. _known];
            preferred = _leader;
            avoid = _avoid;
        }

        if (preferred != avoid && Usable(preferred) is { Role: RaftRole.Leader } last)
        {
            return last;
        }

        RaftReplica? avoided = null, named = null, any = null;
        foreach (var id in known)
        {
            if (Usable(id) is not { } replica)
            {
                continue;
            }

            if (replica.Role == RaftRole.Leader)
            {
                if (id != avoid)
                {
                    return replica;
                }

                avoided = replica;
                continue;
            }

            if (named is null && replica.Leader != 0 && replica.Leader != avoid)
            {
                named = Usable(replica.Leader);
            }

            if (any is null || any.NodeId == avoid)
            {
                any = replica;
            }
        }

        return named ?? avoided ?? any;
    }

    private RaftReplica? Usable(ulong id) => id != 0 && _locate(id) is { Fault: null } replica ? replica : null;

    private void Succeeded(ulong node)
    {
        lock (_gate)
        {
            _leader = node;
            if (_avoid == node)
            {
                _avoid = 0;
            }
        }
    }

    private void Redirected(ulong node, ulong hint)
    {
        lock (_gate)
        {
            if (_leader == node)
            {
                _leader = 0;
            }

            if (hint != 0)
            {
                _known.Add(hint);
                _leader = hint;
            }
        }
    }

    private void Failed(ulong node)
    {
        lock (_gate)
        {
            _avoid = node;
            if (_leader == node)
            {
                _leader = 0;
            }
        }
    }
}
