using Raft.Actors.Consensus;
using Raft.Actors.StateMachines;
using Raft.Actors.Testing.Linearizability;

namespace Raft.Actors.Testing.Simulation;

public sealed partial class RaftSimulation
{
    private const long AttemptTimeout = 150 * Millisecond;
    private const long OperationTimeout = 1_500 * Millisecond;
    private ulong _nextReadId;

    private void StartOperation(SimClient client)
    {
        if (_now >= _faultEnd)
        {
            client.Busy = false;
            return;
        }

        if (_services)
        {
            StartServiceOperation(client);
            return;
        }

        var key = "k" + _random.Next(_options.Keys);
        var roll = _random.Next(100);
        client.Kind = roll < 40 ? KvOpKind.Get : roll < 80 ? KvOpKind.Put : KvOpKind.Cas;
        client.Key = key;
        client.Value = client.Kind == KvOpKind.Get ? null : $"c{client.Id}-{++client.Written}";
        client.Expected = client.Kind == KvOpKind.Cas ? client.LastSeen.GetValueOrDefault(key) : null;
        Begin(client);
    }

    /// <summary>Starts an operation a targeted scenario chose, on the node it names (see <see cref="SimClient.Pinned"/>).</summary>
    private void StartScriptedOperation(SimClient client, KvOpKind kind, string key, ulong target)
    {
        client.Kind = kind;
        client.Key = key;
        client.Value = kind == KvOpKind.Get ? null : $"c{client.Id}-{++client.Written}";
        client.Expected = null;
        client.TargetNode = target;
        Begin(client);
    }

    private void Begin(SimClient client)
    {
        client.Sequence++;
        client.InvokedAt = _now;
        client.Busy = true;
        var sequence = client.Sequence;
        Schedule(OperationTimeout, () =>
        {
            if (client.Busy && client.Sequence == sequence)
            {
                Complete(client, OpOutcome.Unknown, default);
            }
        });
        Attempt(client);
    }

    private void Attempt(SimClient client)
    {
        var attempt = ++client.Attempt;
        var request = new ClientRequest(client, attempt);
        var target = NodeOf(client.TargetNode);
        Schedule(_random.Between(100, Millisecond), () => Deliver(target, request));
        Schedule(AttemptTimeout, () =>
        {
            if (client.Busy && client.Attempt == attempt)
            {
                // No answer: the node may be down, partitioned from the leader, or slow. Try another
                // (a scripted client keeps asking the node its script names).
                if (!client.Pinned)
                {
                    client.TargetNode = (ulong)(1 + _random.Next(_nodes.Count));
                }

                Attempt(client);
            }
        });
    }

    private void HandleClientRequest(SimNode node, ClientRequest request)
    {
        var client = request.Client;
        if (client.IsRead)
        {
            var readId = ++_nextReadId;
            if (_leaseReads && node.Raft.Role == RaftRole.Leader)
            {
                node.LeaderReads.Add(readId);
            }

            if (node.Raft.ReadIndex(readId))
            {
                node.ReadWaiters[readId] = request;
            }
            else
            {
                Reply(request, ClientReply.NotLeader, default, node.Raft.Leader);
            }

            return;
        }

        var result = node.Raft.Propose(client.EncodeCommand(), client.SessionId, client.Sequence);
        if (result.Status == ProposeStatus.Accepted)
        {
            node.ProposalWaiters[result.Index] = (result.Term, request);
        }
        else
        {
            Reply(request, ClientReply.NotLeader, default, result.LeaderHint);
        }
    }

    private void Reply(ClientRequest request, ClientReply reply, ReadOnlyMemory<byte> result, ulong leaderHint = 0)
    {
        var client = request.Client;
        Schedule(_random.Between(100, Millisecond), () =>
        {
            if (!client.Busy || client.Attempt != request.Attempt)
            {
                return;
            }

            switch (reply)
            {
                case ClientReply.Ok:
                    Complete(client, OpOutcome.Ok, result);
                    break;
                default:
                    // Not applied (not the leader, or another entry took the index): try again.
                    if (!client.Pinned)
                    {
                        client.TargetNode = leaderHint != 0 ? leaderHint : (ulong)(1 + _random.Next(_nodes.Count));
                    }

                    client.Attempt++;
                    var attempt = client.Attempt;
                    Schedule(_random.Between(Millisecond, 10 * Millisecond), () =>
                    {
                        if (client.Busy && client.Attempt == attempt)
                        {
                            Attempt(client);
                        }
                    });
                    break;
            }
        });
    }

    /// <summary>Ends the client's operation: <paramref name="result"/> is the state machine's answer (Ok only).</summary>
    private void Complete(SimClient client, OpOutcome outcome, ReadOnlyMemory<byte> result)
    {
        client.Busy = false;
        client.Attempt++;
        if (client.Call is { } call)
        {
            RecordServiceCall(client, call, outcome, result);
        }
        else
        {
            var ok = outcome == OpOutcome.Ok;
            var output = ok && client.Kind == KvOpKind.Get ? KvResult.ReadValue(result.Span) : null;
            var casApplied = ok && client.Kind != KvOpKind.Get && (client.Kind == KvOpKind.Put || KvResult.ReadBool(result.Span));
            Record(client, new KvOperation(client.Id, client.Kind, client.Key, client.Value, client.Expected, client.InvokedAt, _now, outcome, output, casApplied));
        }

        if (client.Pinned)
        {
            OnScriptedOperationDone(client, outcome);
        }
        else
        {
            Schedule(_random.Between(0, 20 * Millisecond), () => StartOperation(client));
        }
    }

    /// <summary>Adds a KV operation to the history and remembers, per key, the last value the client saw (what a CAS expects).</summary>
    private void Record(SimClient client, KvOperation operation)
    {
        _history.Add(operation);
        if (operation.Outcome == OpOutcome.Ok)
        {
            client.LastSeen[operation.Key] = operation.Kind switch
            {
                KvOpKind.Get => operation.Output,
                KvOpKind.Put => operation.Value,
                _ => operation.CasApplied ? operation.Value : client.LastSeen.GetValueOrDefault(operation.Key),
            };
        }
    }
}
