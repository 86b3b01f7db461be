using Raft.Actors.Protocol;

namespace Raft.Actors.Testing.Simulation;

public sealed partial class RaftSimulation
{
    private readonly HashSet<(ulong From, ulong To)> _blocked = [];
    private double _lossRate;
    private double _duplicateRate;
    private long _maxLatency = 2 * Millisecond;

    private SimNode NodeOf(ulong id) => _nodes[(int)id - 1];

    /// <summary>Sends a replica message over the simulated network: it may be cut, lost, duplicated, delayed or reordered.</summary>
    private void Send(RaftMessage message)
    {
        if (message.Type == MessageType.Snapshot)
        {
            TransferSnapshot(message);
            return;
        }

        if (_blocked.Contains((message.From, message.To)) || _random.Chance(_lossRate))
        {
            return;
        }

        var copies = _random.Chance(_duplicateRate) ? 2 : 1;
        for (var i = 0; i < copies; i++)
        {
            var target = NodeOf(message.To);
            Schedule(NetworkLatency(), () => Deliver(target, message));
        }
    }

    /// <summary>
    /// The runtime's out-of-band snapshot transfer: the data arrives (and is durable) before the
    /// Snapshot message is stepped; the leader hears whether it worked, or times out.
    /// </summary>
    private void TransferSnapshot(RaftMessage message)
    {
        var leader = NodeOf(message.From);
        var follower = NodeOf(message.To);
        var data = leader.DiskSnapshot is { } s && s.Metadata.Index == message.Snapshot!.Index ? s.Data : null;
        if (data is null || _blocked.Contains((message.From, message.To)) || _random.Chance(_lossRate))
        {
            Schedule(_random.Between(20 * Millisecond, 200 * Millisecond), () => Deliver(leader, new SnapshotReport(message.To, Succeeded: false)));
            return;
        }

        Schedule(NetworkLatency() + _random.Between(Millisecond, 20 * Millisecond), () =>
        {
            if (!follower.IsUp)
            {
                Deliver(leader, new SnapshotReport(message.To, Succeeded: false));
                return;
            }

            follower.ReceivedSnapshots[message.Snapshot!.Index] = data;
            Deliver(follower, message);
            Schedule(NetworkLatency(), () => Deliver(leader, new SnapshotReport(message.To, Succeeded: true)));
        });
    }

    /// <summary>A message's delay: usually short, now and then long (not while a race is staged: see <see cref="_calm"/>).</summary>
    private long NetworkLatency() =>
        _random.Chance(0.02) && !_calm ? _random.Between(10 * Millisecond, 80 * Millisecond) : _random.Between(100, _calm ? 500 : _maxLatency);

    private void InjectFault()
    {
        if (_now >= _faultEnd)
        {
            return;
        }

        if (_scenario is not null)
        {
            // A targeted scenario sets up its own faults; random ones would only blur it.
            Schedule(_random.Between(20 * Millisecond, _maxFaultInterval), InjectFault);
            return;
        }

        var roll = _random.Next(100);
        var node = _nodes[_random.Next(_nodes.Count)];
        if (roll < 30)
        {
            Partition();
        }
        else if (roll < 50)
        {
            // Crash a node mid-write when one is writing: the moment that tests durability.
            var writing = _nodes.Where(n => n.IsUp && n.Persisting is not null).ToArray();
            var victim = writing.Length > 0 && _random.Chance(0.7) ? writing[_random.Next(writing.Length)] : node;
            CrashAndRestart(victim, _random.Between(5 * Millisecond, 600 * Millisecond));
        }
        else if (roll < 60)
        {
            node.PausedUntil = Math.Max(node.PausedUntil, _now + _random.Between(20 * Millisecond, 400 * Millisecond));
        }
        else if (roll < 75)
        {
            _lossRate = _random.Chance(0.5) ? 0 : _random.NextDouble() * 0.3;
            _duplicateRate = _random.NextDouble() * 0.1;
            _maxLatency = _random.Between(500, 20 * Millisecond);
        }
        else if (roll < 85)
        {
            // Clock skew: this node's ticks run 30% slower to 30% faster; with lease reads, only
            // as far as the lease's drift bound allows (see MaxLeaseSkewPercent).
            node.TickInterval = _leaseReads
                ? BaseTickInterval * _random.Between(100 - MaxLeaseSkewPercent, 100 + MaxLeaseSkewPercent + 1) / 100
                : BaseTickInterval * _random.Between(70, 131) / 100;
        }
        else
        {
            _blocked.Clear();
        }

        Schedule(_random.Between(20 * Millisecond, _maxFaultInterval), InjectFault);
    }

    /// <summary>Cuts links: isolate a node, split in two, one-way cuts, or a star (thesis §9, Cloudflare 2020).</summary>
    private void Partition()
    {
        _partitionChanges++;
        _blocked.Clear();
        var n = _nodes.Count;
        var a = (ulong)(1 + _random.Next(n));
        switch (_random.Next(4))
        {
            case 0:
                foreach (var other in _nodes)
                {
                    if (other.Id != a)
                    {
                        _blocked.Add((a, other.Id));
                        _blocked.Add((other.Id, a));
                    }
                }

                break;
            case 1:
                var side = _nodes.Select(_ => _random.Chance(0.5)).ToArray();
                foreach (var x in _nodes)
                {
                    foreach (var y in _nodes)
                    {
                        if (side[x.Id - 1] != side[y.Id - 1])
                        {
                            _blocked.Add((x.Id, y.Id));
                        }
                    }
                }

                break;
            case 2:
                for (var k = 0; k < n; k++)
                {
                    var from = (ulong)(1 + _random.Next(n));
                    var to = (ulong)(1 + _random.Next(n));
                    if (from != to)
                    {
                        _blocked.Add((from, to));
                    }
                }

                break;
            default:
                // Star: only the hub talks to everyone; the others cannot reach each other.
                foreach (var x in _nodes)
                {
                    foreach (var y in _nodes)
                    {
                        if (x.Id != y.Id && x.Id != a && y.Id != a)
                        {
                            _blocked.Add((x.Id, y.Id));
                        }
                    }
                }

                break;
        }
    }

    private void HealEverything()
    {
        _blocked.Clear();
        _lossRate = 0;
        _duplicateRate = 0;
        _maxLatency = 2 * Millisecond;
        foreach (var node in _nodes)
        {
            node.PausedUntil = 0;
            node.TickInterval = BaseTickInterval;
            if (!node.IsUp && !node.Refused)
            {
                StartNode(node);
            }
        }
    }
}
