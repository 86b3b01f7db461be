using System.Diagnostics;
using System.Globalization;
using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Runtime;
using Raft.Actors.Snapshots;
using Raft.Actors.StateMachines;
using Raft.Actors.Storage;
using Xunit;
using static Raft.Actors.Tests.Runtime.ReplicaSnapshotTests;

namespace Raft.Actors.Tests.Runtime;

/// <summary>When a replica takes snapshots on its own: every so many entries or payload bytes, whichever comes first.</summary>
public sealed class ReplicaSnapshotPolicyTests
{
    private const ulong EveryEntries = 40;
    private const long EveryBytes = 10_000;
    private const ulong Margin = 5;

    public enum Trigger
    {
        Entries,
        Bytes,
    }

    [Theory]
    [InlineData(1_000, Trigger.Bytes)]
    [InlineData(10, Trigger.Entries)]
    public async Task A_snapshot_is_taken_when_the_entries_or_the_payload_bytes_since_the_last_one_reach_their_threshold(int valueLength, Trigger expected)
    {
        // The lowest draw: no jitter, the first thresholds are the configured ones.
        var replica = await SingleReplica.StartAsync(highestDraw: false, EveryBytes);
        await using var stop = replica;

        var first = await replica.WriteUntilSnapshotAsync(valueLength, after: 0, EveryEntries, EveryBytes);
        Assert.Equal(expected, first.Trigger);

        // The next interval counts from the snapshot's index and bytes.
        var second = await replica.WriteUntilSnapshotAsync(valueLength, after: first.Index, EveryEntries, EveryBytes);
        Assert.Equal(expected, second.Trigger);
    }

    [Fact]
    public async Task The_first_snapshot_comes_up_to_a_quarter_early_and_the_later_ones_on_time()
    {
        // The highest draw: both first thresholds are a quarter early (less a rounding of one),
        // 7,501 bytes and 31 entries. Later intervals are whole.
        var bytes = await SingleReplica.StartAsync(highestDraw: true, EveryBytes);
        await using (bytes)
        {
            var first = await bytes.WriteUntilSnapshotAsync(1_000, after: 0, EveryEntries, EveryBytes - (EveryBytes / 4) + 1);
            Assert.Equal(Trigger.Bytes, first.Trigger);
            Assert.True(first.Bytes < EveryBytes, $"first snapshot after {first.Bytes} bytes");
            var second = await bytes.WriteUntilSnapshotAsync(1_000, after: first.Index, EveryEntries, EveryBytes);
            Assert.Equal(Trigger.Bytes, second.Trigger);
        }

        var entries = await SingleReplica.StartAsync(highestDraw: true, everyBytes: null);
        await using (entries)
        {
            var first = await entries.WriteUntilSnapshotAsync(10, after: 0, EveryEntries - (EveryEntries / 4) + 1, null);
            Assert.Equal(Trigger.Entries, first.Trigger);
            var second = await entries.WriteUntilSnapshotAsync(10, after: first.Index, EveryEntries, null);
            Assert.Equal(Trigger.Entries, second.Trigger);
        }
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(long.MinValue)]
    public void A_negative_SnapshotEveryBytes_is_refused_naming_the_option_and_the_value(long everyBytes)
    {
        var options = new RaftReplicaOptions
        {
            Node = new RaftNodeOptions { Id = 1, Group = 7, InitialConfiguration = ConfState.OfVoters(1) },
            SnapshotEveryBytes = everyBytes,
        };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("SnapshotEveryBytes", error.Message, StringComparison.Ordinal);
        Assert.Contains(everyBytes.ToString(CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0L)]
    [InlineData(1L)]
    public void SnapshotEveryBytes_may_be_off_or_positive(long? everyBytes)
    {
        var options = new RaftReplicaOptions
        {
            Node = new RaftNodeOptions { Id = 1, Group = 7, InitialConfiguration = ConfState.OfVoters(1) },
            SnapshotEveryBytes = everyBytes,
        };

        options.Validate();
    }

    /// <summary>
    /// A one-node group written one command at a time. It knows the payload bytes applied through
    /// each index it saw, so it can say at which index a threshold is crossed.
    /// </summary>
    private sealed class SingleReplica : IAsyncDisposable
    {
        private readonly RaftReplica _replica;
        private readonly InMemoryLogStore _log = new();
        private readonly InMemorySnapshotStore _snapshots = new();
        private readonly Dictionary<ulong, long> _bytesThrough = new() { [0] = 0 };
        private long _bytes;
        private int _written;

        private SingleReplica(bool highestDraw, long? everyBytes)
        {
            var network = new InMemoryNetwork();
            var options = new RaftReplicaOptions
            {
                Node = new RaftNodeOptions { Id = 1, Group = 7, InitialConfiguration = ConfState.OfVoters(1) },
                TickInterval = TimeSpan.FromMilliseconds(10),
                SnapshotStore = _snapshots,
                SnapshotEveryEntries = EveryEntries,
                SnapshotEveryBytes = everyBytes,
                CompactionMargin = Margin,
            };
            _replica = new RaftReplica(options, _log, new KvStateMachine(), network.TransportFor(1), random: new FixedRandom(highestDraw));
            network.Register(_replica);
        }

        public static async Task<SingleReplica> StartAsync(bool highestDraw, long? everyBytes)
        {
            var single = new SingleReplica(highestDraw, everyBytes);
            await single._replica.StartAsync();
            await WaitUntilAsync(() => single._replica.Role == RaftRole.Leader, "the single replica to lead");
            return single;
        }

        /// <summary>
        /// Writes commands with values of <paramref name="valueLength"/> until one takes either the
        /// entries since <paramref name="after"/> to <paramref name="entries"/> or their payload
        /// bytes to <paramref name="bytes"/>; checks that the replica snapshots exactly there, and
        /// not before, and says which threshold it was.
        /// </summary>
        public async Task<(ulong Index, Trigger Trigger, long Bytes)> WriteUntilSnapshotAsync(int valueLength, ulong after, ulong entries, long? bytes)
        {
            var start = _bytesThrough[after];
            while (true)
            {
                var command = ReplicaCluster.Put($"k{_written++}", new string('v', valueLength));
                await _replica.ProposeAsync(command);
                _bytes += command.Length;
                var index = (await _replica.GetStatusAsync()).Applied;
                _bytesThrough[index] = _bytes;
                var byEntries = index >= after + entries;
                var byBytes = bytes is { } threshold && _bytes - start >= threshold;
                if (!byEntries && !byBytes)
                {
                    continue;
                }

                Assert.False(byEntries && byBytes, "the test must not cross both thresholds at once");
                var taken = await WaitForSnapshotAfterAsync(after);
                Assert.Equal(index, taken);
                return (index, byBytes ? Trigger.Bytes : Trigger.Entries, _bytes - start);
            }
        }

        public async ValueTask DisposeAsync() => await _replica.StopAsync();

        /// <summary>Waits until a snapshot after <paramref name="after"/> is published and the loop compacted behind it.</summary>
        private async Task<ulong> WaitForSnapshotAfterAsync(ulong after)
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                if (await _snapshots.GetLatestAsync() is { } latest && latest.Id.Index > after && _log.CompactedIndex == latest.Id.Index - Margin)
                {
                    return latest.Id.Index;
                }

                await Task.Delay(5);
            }

            throw new TimeoutException($"No snapshot after {after} within 30 s.");
        }
    }

    /// <summary>Always the lowest or always the highest value: no jitter, or the most.</summary>
    private sealed class FixedRandom(bool highest) : IRandomSource
    {
        public int Next(int maxExclusive) => highest ? maxExclusive - 1 : 0;
    }
}
