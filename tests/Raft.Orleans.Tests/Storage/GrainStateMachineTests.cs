using Raft.Actors.Protocol;
using Raft.Orleans.Storage;

namespace Raft.Orleans.Tests.Storage;

public sealed class GrainStateMachineTests
{
    private ulong _index;

    [Fact]
    public void A_write_applies_only_on_the_expected_version_and_bumps_it()
    {
        var machine = new GrainStateMachine();
        Assert.Equal(new GrainStateOutcome(GrainStateStatus.Ok, 1), Apply(machine, GrainStateCommand.Write("k", 0, [1])));
        Assert.Equal(new GrainStateOutcome(GrainStateStatus.VersionMismatch, 1), Apply(machine, GrainStateCommand.Write("k", 0, [2])));
        Assert.Equal(new GrainStateOutcome(GrainStateStatus.Ok, 2), Apply(machine, GrainStateCommand.Write("k", 1, [3])));

        var record = GrainStateCommand.ReadRecord(machine.Query(GrainStateCommand.Read("k")));
        Assert.Equal(GrainRecordKind.Present, record.Kind);
        Assert.Equal(2UL, record.Version);
        Assert.Equal([3], record.Data.ToArray());
    }

    [Fact]
    public void A_clear_keeps_the_version_going_so_an_old_etag_never_matches_again()
    {
        var machine = new GrainStateMachine();
        Apply(machine, GrainStateCommand.Write("k", 0, [1]));
        Assert.Equal(new GrainStateOutcome(GrainStateStatus.Ok, 2), Apply(machine, GrainStateCommand.Clear("k", 1)));
        var cleared = GrainStateCommand.ReadRecord(machine.Query(GrainStateCommand.Read("k")));
        Assert.Equal(GrainRecordKind.Cleared, cleared.Kind);
        Assert.Equal(2UL, cleared.Version);
        Assert.Equal(GrainStateStatus.VersionMismatch, Apply(machine, GrainStateCommand.Write("k", 0, [1])).Status);
        Assert.Equal(GrainStateStatus.VersionMismatch, Apply(machine, GrainStateCommand.Write("k", 1, [1])).Status);
    }

    [Fact]
    public void Clearing_a_key_never_written_changes_nothing()
    {
        var machine = new GrainStateMachine();
        Assert.Equal(new GrainStateOutcome(GrainStateStatus.Ok, 0), Apply(machine, GrainStateCommand.Clear("k", 0)));
        Assert.Equal(0, machine.Count);
        Assert.Equal(GrainRecordKind.Missing, GrainStateCommand.ReadRecord(machine.Query(GrainStateCommand.Read("k"))).Kind);
    }

    [Fact]
    public void A_malformed_command_is_answered_and_changes_nothing()
    {
        var machine = new GrainStateMachine();
        Assert.Equal(GrainStateStatus.Malformed, Apply(machine, [9, 9, 9]).Status);
        Assert.Equal(GrainStateStatus.Malformed, Apply(machine, GrainStateCommand.Read("k")).Status);
        Assert.True(machine.Query(new byte[] { 2 }).IsEmpty);
        Assert.Equal(0, machine.Count);
    }

    [Fact]
    public void A_restored_snapshot_holds_every_record_version_and_tombstone()
    {
        var machine = new GrainStateMachine();
        Apply(machine, GrainStateCommand.Write("a", 0, [1, 2]));
        Apply(machine, GrainStateCommand.Write("b", 0, [3]));
        Apply(machine, GrainStateCommand.Clear("b", 1));
        using var buffer = new MemoryStream();
        using (var snapshot = machine.TakeSnapshot())
        {
            Apply(machine, GrainStateCommand.Write("a", 1, [9]));
            snapshot.WriteTo(buffer);
        }

        var restored = new GrainStateMachine();
        buffer.Position = 0;
        restored.Restore(buffer);
        var a = GrainStateCommand.ReadRecord(restored.Query(GrainStateCommand.Read("a")));
        Assert.Equal((GrainRecordKind.Present, 1UL), (a.Kind, a.Version));
        Assert.Equal([1, 2], a.Data.ToArray());
        var b = GrainStateCommand.ReadRecord(restored.Query(GrainStateCommand.Read("b")));
        Assert.Equal((GrainRecordKind.Cleared, 2UL), (b.Kind, b.Version));
    }

    private GrainStateOutcome Apply(GrainStateMachine machine, byte[] command) =>
        GrainStateCommand.ReadOutcome(machine.Apply(new Entry { Index = ++_index, Term = 1, Data = command }).Span);
}
