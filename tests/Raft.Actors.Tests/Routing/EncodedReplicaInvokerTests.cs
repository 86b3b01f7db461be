using Raft.Actors.Routing;
using Xunit;

namespace Raft.Actors.Tests.Routing;

public sealed class EncodedReplicaInvokerTests
{
    [Fact]
    public async Task A_request_travels_as_routing_codec_bytes_and_the_answer_is_decoded()
    {
        var invoker = new EchoInvoker();
        var request = new ReplicaRequest { Group = 5, Kind = ReplicaRequestKind.Read, Payload = new byte[] { 1 }, Timeout = TimeSpan.FromSeconds(1) };
        var answer = await invoker.InvokeAsync(9, request, CancellationToken.None);
        Assert.Equal((9UL, 5UL), (invoker.Node, invoker.Group));
        Assert.Equal((ReplicaAnswerStatus.Ok, 9UL), (answer.Status, answer.Leader));
    }

    private sealed class EchoInvoker : EncodedReplicaInvoker
    {
        public ulong Node { get; private set; }

        public ulong Group { get; private set; }

        protected override Task<byte[]> SendAsync(ulong node, byte[] request, CancellationToken cancellationToken)
        {
            Node = node;
            Group = RoutingCodec.DecodeRequest(request).Group;
            return Task.FromResult(RoutingCodec.Encode(new ReplicaAnswer { Status = ReplicaAnswerStatus.Ok, Leader = node, Members = [node] }));
        }
    }
}
