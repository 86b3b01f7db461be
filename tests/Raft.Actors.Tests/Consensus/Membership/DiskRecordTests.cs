using Raft.Actors.Consensus;
using Raft.Actors.Protocol;
using Raft.Actors.Storage;
using Xunit;

namespace Raft.Actors.Tests.Consensus.Membership;

/// <summary>
/// PITFALLS 5 at the group level: the leader records each member's disk id in the
/// configuration, and a member that comes back with another disk is refused.
/// </summary>
public sealed class DiskRecordTests
{
    private static ulong DiskOf(ulong id) => 0xD15C_0000 + id;

    private static ScenarioNetwork Group() =>
        new(3, storage: id => new LogState(HardState.Empty, 0, 0, [], DiskOf(id)));

    [Fact]
    public void The_leader_records_every_members_disk_in_the_configuration()
    {
        var net = Group();
        net.Elect(1);
        net.TickAll(3);

        foreach (var id in new ulong[] { 1, 2, 3 })
        {
            var conf = net.Node(id).Configuration;
            Assert.Equal([DiskOf(1), DiskOf(2), DiskOf(3)], new ulong[] { conf.DiskOf(1), conf.DiskOf(2), conf.DiskOf(3) });
        }
    }

    [Fact]
    public void A_member_back_with_a_wiped_disk_is_refused_and_never_counted()
    {
        var net = Group();
        net.Elect(1);
        net.TickAll(3);
        var refusals = new List<NodeRefusal>();
        net.OnReady = (id, ready) =>
        {
            if (ready.Refusal is { } refusal)
            {
                refusals.Add(refusal);
            }
        };

        var wiped = net.Wipe(3, newDiskId: 0xBAD);
        net.TickAll(3);

        var refused = Assert.Single(refusals);
        Assert.Equal((3UL, DiskOf(3), 0xBADUL), (refused.NodeId, refused.RecordedDiskId, refused.DiskId));
        Assert.Contains("new id", refused.ToString());
        Assert.Same(refused, wiped.Refusal);
        Assert.Equal(0UL, wiped.LastIndex);

        // Its acknowledgements no longer count: with node 2 away, nothing commits.
        net.Isolate(2);
        var x = net.Propose(1, "x");
        net.TickAll(5);
        Assert.True(net.Node(1).CommitIndex < x.Index);
        net.AssertSafe();
    }

    [Fact]
    public void A_member_restarted_with_its_own_disk_is_not_refused()
    {
        var net = Group();
        net.Elect(1);
        net.TickAll(3);

        net.Restart(3);
        net.Propose(1, "x");
        net.TickAll(3);

        Assert.Null(net.Node(3).Refusal);
        Assert.Equal(["x"], net.AppliedCommands(3));
    }
}
