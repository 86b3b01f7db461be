using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Akka.TestKit;

namespace Raft.Akka.Tests.Persistence;

/// <summary>The cases of Akka.Persistence.TCK's JournalSpec, ported by hand (the TCK is not available here).</summary>
public sealed class RaftJournalSpecTests(PersistenceCluster fixture) : IClassFixture<PersistenceCluster>
{
    private static readonly TimeSpan s_wait = PersistenceCluster.Wait;
    private readonly string _pid = "p-" + Guid.NewGuid().ToString("N");
    private readonly string _writer = Guid.NewGuid().ToString("N");

    [Fact(Timeout = 60_000)]
    public async Task Replays_all_messages() => await WithFiveAsync(() => Replay(1, long.MaxValue, long.MaxValue, [1, 2, 3, 4, 5], 5));

    [Fact(Timeout = 60_000)]
    public async Task Replays_from_a_lower_bound() => await WithFiveAsync(() => Replay(3, long.MaxValue, long.MaxValue, [3, 4, 5], 5));

    [Fact(Timeout = 60_000)]
    public async Task Replays_to_an_upper_bound() => await WithFiveAsync(() => Replay(1, 3, long.MaxValue, [1, 2, 3], 5));

    [Fact(Timeout = 60_000)]
    public async Task Replays_up_to_a_count_limit() => await WithFiveAsync(() => Replay(1, long.MaxValue, 3, [1, 2, 3], 5));

    [Fact(Timeout = 60_000)]
    public async Task Replays_between_lower_and_upper_bounds_and_within_a_count_limit() =>
        await WithFiveAsync(() =>
        {
            Replay(2, 3, long.MaxValue, [2, 3], 5);
            Replay(2, 5, 2, [2, 3], 5);
            Replay(2, 2, long.MaxValue, [2], 5);
        });

    [Fact(Timeout = 60_000)]
    public async Task Replays_nothing_when_the_lower_bound_is_above_the_upper_bound_or_the_highest_or_the_limit_is_zero() =>
        await WithFiveAsync(() =>
        {
            Replay(3, 2, long.MaxValue, [], 5);
            Replay(6, long.MaxValue, long.MaxValue, [], 5);
            Replay(1, long.MaxValue, 0, [], 5);
        });

    [Fact(Timeout = 60_000)]
    public async Task Does_not_replay_deleted_messages_and_keeps_the_highest_sequence_number()
    {
        await WithFiveAsync(() =>
        {
            Delete(3);
            Replay(1, long.MaxValue, long.MaxValue, [4, 5], 5);
            Delete(long.MaxValue);
            Replay(1, long.MaxValue, long.MaxValue, [], 5);
        });
    }

    [Fact(Timeout = 60_000)]
    public async Task Reports_zero_as_the_highest_sequence_number_of_an_unknown_persistence_id()
    {
        await Task.Yield();
        Replay(1, long.MaxValue, long.MaxValue, [], 0);
    }

    [Fact(Timeout = 60_000)]
    public async Task Rejects_an_atomic_write_with_a_non_serializable_event_as_a_whole_and_stores_the_others()
    {
        await Task.Yield();
        var probe = fixture.Probe();
        var writes = new[]
        {
            new AtomicWrite(Event(1, probe)),
            new AtomicWrite(ImmutableList.Create<IPersistentRepresentation>(Event(2, probe), Event(3, probe, new NotSerializable("x")))),
            new AtomicWrite(Event(4, probe)),
        };
        fixture.Journal.Tell(new WriteMessages(writes, probe.Ref, 1));
        probe.ExpectMsg<WriteMessagesSuccessful>(s_wait);
        probe.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == 1, s_wait);
        probe.ExpectMsg<WriteMessageRejected>(m => m.Persistent.SequenceNr == 2, s_wait);
        probe.ExpectMsg<WriteMessageRejected>(m => m.Persistent.SequenceNr == 3, s_wait);
        probe.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == 4, s_wait);

        Replay(1, long.MaxValue, long.MaxValue, [1, 4], 4);
    }

    [Fact(Timeout = 60_000)]
    public async Task Writes_the_events_of_an_atomic_write_together_and_replays_their_fields()
    {
        await Task.Yield();
        var probe = fixture.Probe();
        var events = ImmutableList.Create<IPersistentRepresentation>(Event(1, probe), Event(2, probe), Event(3, probe));
        fixture.Journal.Tell(new WriteMessages([new AtomicWrite(events)], probe.Ref, 7));
        probe.ExpectMsg<WriteMessagesSuccessful>(s_wait);
        for (var i = 1; i <= 3; i++)
        {
            var success = probe.ExpectMsg<WriteMessageSuccess>(s_wait);
            Assert.Equal(i, success.Persistent.SequenceNr);
            Assert.Equal(7, success.ActorInstanceId);
        }

        var replay = fixture.Probe();
        fixture.Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, _pid, replay.Ref));
        for (var i = 1; i <= 3; i++)
        {
            var replayed = replay.ExpectMsg<ReplayedMessage>(s_wait).Persistent;
            Assert.Equal((i, $"a-{i}", _pid, _writer, "m"), (replayed.SequenceNr, (string)replayed.Payload, replayed.PersistenceId, replayed.WriterGuid, replayed.Manifest));
            Assert.True(replayed.Timestamp > 0, "the journal stamps each event");
        }

        replay.ExpectMsg<RecoverySuccess>(r => r.HighestSequenceNr == 3, s_wait);
    }

    [Fact(Timeout = 60_000)]
    public async Task Keeps_persistence_ids_that_share_a_prefix_apart()
    {
        await WithFiveAsync(() => { });
        var probe = fixture.Probe();
        var other = _pid + "/00000000000000000003";
        fixture.Journal.Tell(new WriteMessages([new AtomicWrite(new Persistent("other", 1, other, "", false, probe.Ref, _writer))], probe.Ref, 1));
        probe.ExpectMsg<WriteMessagesSuccessful>(s_wait);
        Replay(1, long.MaxValue, long.MaxValue, [1, 2, 3, 4, 5], 5);
    }

    private Persistent Event(long sequenceNr, TestProbe sender, object? payload = null) =>
        new(payload ?? $"a-{sequenceNr}", sequenceNr, _pid, "m", false, sender.Ref, _writer);

    private async Task WithFiveAsync(Action then)
    {
        await Task.Yield();
        var probe = fixture.Probe();
        var writes = Enumerable.Range(1, 5).Select(i => new AtomicWrite(Event(i, probe))).ToArray();
        fixture.Journal.Tell(new WriteMessages(writes, probe.Ref, 1));
        probe.ExpectMsg<WriteMessagesSuccessful>(s_wait);
        for (var i = 1; i <= 5; i++)
        {
            probe.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == i && m.ActorInstanceId == 1, s_wait);
        }

        then();
    }

    private void Replay(long from, long to, long max, long[] expected, long highest)
    {
        var probe = fixture.Probe();
        fixture.Journal.Tell(new ReplayMessages(from, to, max, _pid, probe.Ref));
        foreach (var sequenceNr in expected)
        {
            var replayed = probe.ExpectMsg<ReplayedMessage>(s_wait).Persistent;
            Assert.Equal((sequenceNr, $"a-{sequenceNr}"), (replayed.SequenceNr, (string)replayed.Payload));
        }

        Assert.Equal(highest, probe.ExpectMsg<RecoverySuccess>(s_wait).HighestSequenceNr);
    }

    private void Delete(long to)
    {
        var probe = fixture.Probe();
        fixture.Journal.Tell(new DeleteMessagesTo(_pid, to, probe.Ref));
        probe.ExpectMsg<DeleteMessagesSuccess>(m => m.ToSequenceNr == to, s_wait);
    }
}
