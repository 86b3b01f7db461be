using Raft.Actors.Protocol;
using Raft.Actors.Runtime;
using Xunit;

namespace Raft.Actors.Tests.Runtime;

public sealed class FrameTransportTests
{
    [Fact]
    public void Messages_leave_as_one_frame_per_reachable_destination_and_the_rest_are_counted()
    {
        var transport = new RecordingTransport(reachable: [2, 3]);
        transport.Send(
        [
            Heartbeat(2, group: 1), Heartbeat(3, group: 1), Heartbeat(2, group: 2), Heartbeat(4, group: 1), Heartbeat(4, group: 2),
        ]);

        Assert.Equal([2UL, 3UL], transport.Frames.Keys.Order());
        Assert.Equal([1UL, 2UL], MessageCodec.Decode(transport.Frames[2]).Select(m => m.Group));
        Assert.Equal([1UL], MessageCodec.Decode(transport.Frames[3]).Select(m => m.Group));
        Assert.Equal(2, transport.Unreachable);
    }

    [Fact]
    public void A_send_that_throws_is_reported_and_does_not_stop_the_other_destinations()
    {
        var transport = new RecordingTransport(reachable: [2, 3]) { Throwing = 2 };
        transport.Send([Heartbeat(2, group: 1), Heartbeat(3, group: 1)]);
        Assert.Equal([3UL], transport.Frames.Keys);
        Assert.Equal([2UL], transport.Failed);
    }

    private static RaftMessage Heartbeat(ulong to, ulong group) => new() { Type = MessageType.Heartbeat, Group = group, From = 1, To = to };

    private sealed class RecordingTransport(HashSet<ulong> reachable) : FrameTransport
    {
        public Dictionary<ulong, byte[]> Frames { get; } = [];

        public List<ulong> Failed { get; } = [];

        public ulong Throwing { get; init; }

        protected override bool CanReach(ulong node) => reachable.Contains(node);

        protected override void SendFrame(ulong node, byte[] frame)
        {
            if (node == Throwing)
            {
                throw new InvalidOperationException("down");
            }

            Frames.Add(node, frame);
        }

        protected override void OnSendFailed(ulong node, Exception exception) => Failed.Add(node);
    }
}
