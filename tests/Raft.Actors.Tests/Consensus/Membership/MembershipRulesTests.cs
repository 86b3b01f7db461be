using Raft.Actors.Protocol;
using Xunit;
using static Raft.Actors.Protocol.ConfChangeType;

namespace Raft.Actors.Tests.Consensus.Membership;

/// <summary>The pure rules of <see cref="Raft.Actors.Consensus.Membership.Apply"/>: what each change does and what it refuses.</summary>
public sealed class MembershipRulesTests
{
    private static readonly ConfState s_three = new() { Voters = [1, 2, 3], Learners = [4] };

    private static ConfChangeItem Item(ConfChangeType type, ulong node, ulong disk = 0) => new(type, node, disk);

    private static ConfState Apply(ConfState from, ConfChange change)
    {
        var result = Raft.Actors.Consensus.Membership.Apply(from, change, out var error);
        Assert.True(result is not null, error);
        return result;
    }

    private static string Refused(ConfState from, ConfChange change)
    {
        Assert.Null(Raft.Actors.Consensus.Membership.Apply(from, change, out var error));
        return Assert.IsType<string>(error);
    }

    [Fact]
    public void Promoting_a_learner_is_one_simple_change()
    {
        var after = Apply(s_three, ConfChange.Of(Item(AddVoter, 4)));

        Assert.Equal([1UL, 2, 3, 4], after.Voters.ToArray());
        Assert.Empty(after.Learners.ToArray());
        Assert.False(after.IsJoint);
    }

    [Fact]
    public void Replacing_a_voter_goes_through_a_joint_configuration_that_leaving_ends()
    {
        var joint = Apply(s_three, ConfChange.Of(Item(Remove, 3), Item(AddVoter, 5)));

        Assert.True(joint.IsJoint);
        Assert.Equal([1UL, 2, 5], joint.Voters.ToArray());
        Assert.Equal([1UL, 2, 3], joint.VotersOutgoing.ToArray());
        Assert.True(joint.IsVoter(3));

        var left = Apply(joint, ConfChange.LeaveJoint);

        Assert.False(left.IsJoint);
        Assert.Equal([1UL, 2, 5], left.Voters.ToArray());
        Assert.False(left.IsVoter(3));
    }

    [Fact]
    public void A_single_voter_change_can_be_forced_through_a_joint_configuration()
    {
        var joint = Apply(s_three, ConfChange.Of(Item(AddVoter, 9)) with { Transition = ConfChangeTransition.Joint });

        Assert.Equal([1UL, 2, 3], joint.VotersOutgoing.ToArray());
        Assert.Equal([1UL, 2, 3, 9], joint.Voters.ToArray());
    }

    [Fact]
    public void Learner_and_disk_changes_are_simple()
    {
        var after = Apply(s_three, ConfChange.Of(Item(AddLearner, 7), Item(RecordDisk, 1, 0xD1), Item(Remove, 4)));

        Assert.False(after.IsJoint);
        Assert.Equal([7UL], after.Learners.ToArray());
        Assert.Equal(0xD1UL, after.DiskOf(1));
        Assert.Equal(0UL, after.DiskOf(2));
    }

    [Fact]
    public void A_disk_record_survives_the_removal_of_its_member()
    {
        var recorded = Apply(s_three, ConfChange.Of(Item(RecordDisk, 3, 0xD3)));
        var removed = Apply(recorded, ConfChange.Of(Item(Remove, 3)));

        Assert.Equal(0xD3UL, removed.DiskOf(3));
        Assert.Contains("already has disk", Refused(removed, ConfChange.Of(Item(RecordDisk, 3, 0xEE))));
        Assert.Contains("never rejoins under its old id", Refused(removed, ConfChange.Of(Item(AddLearner, 3))));
        Assert.Contains("never rejoins under its old id", Refused(removed, ConfChange.Of(Item(AddVoter, 3))));
    }

    [Theory]
    [InlineData("not a member")]
    [InlineData("no voter")]
    [InlineData("demoting")]
    [InlineData("not joint")]
    [InlineData("id 0")]
    [InlineData("still in progress")]
    public void Changes_that_cannot_apply_are_refused_with_the_reason(string reason)
    {
        var (from, change) = reason switch
        {
            "not a member" => (s_three, ConfChange.Of(Item(Remove, 8))),
            "no voter" => (ConfState.OfVoters(1), ConfChange.Of(Item(Remove, 1))),
            "demoting" => (s_three, ConfChange.Of(Item(AddLearner, 2))),
            "not joint" => (s_three, ConfChange.LeaveJoint),
            "id 0" => (s_three, ConfChange.Of(Item(AddVoter, 0))),
            _ => (Apply(s_three, ConfChange.Of(Item(Remove, 1), Item(Remove, 2), Item(AddVoter, 4))), ConfChange.Of(Item(AddVoter, 6))),
        };

        Assert.Contains(reason, Refused(from, change));
    }

    [Fact]
    public void A_configuration_round_trips_through_its_entry_payload_and_garbage_does_not_decode()
    {
        var joint = Apply(Apply(s_three, ConfChange.Of(Item(RecordDisk, 2, ulong.MaxValue))), ConfChange.Of(Item(Remove, 3), Item(AddVoter, 4)));

        Assert.True(ConfigurationCodec.TryDecode(ConfigurationCodec.Encode(joint), out var decoded));
        Assert.Equal(joint, decoded);
        Assert.False(ConfigurationCodec.TryDecode(new byte[] { 0xC1, 0x00 }, out _));
        Assert.False(ConfigurationCodec.TryDecode(new byte[] { 0xC0 }, out _));
        Assert.False(ConfigurationCodec.TryDecode(ConfigurationCodec.Encode(new ConfState { Learners = [4] }), out _));
        Assert.False(ConfigurationCodec.TryDecode(ConfigurationCodec.Encode(ConfState.OfVoters(1, 1)), out _));
    }
}
