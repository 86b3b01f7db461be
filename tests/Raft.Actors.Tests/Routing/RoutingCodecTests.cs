using Raft.Actors.Protocol;
using Raft.Actors.Routing;
using Xunit;

namespace Raft.Actors.Tests.Routing;

public sealed class RoutingCodecTests
{
    private static readonly ReplicaRequest s_request = new()
    {
        Group = 42,
        Kind = ReplicaRequestKind.Propose,
        Payload = new byte[] { 1, 2, 3 },
        ClientId = 7,
        Sequence = 9,
        Timeout = TimeSpan.FromSeconds(2),
    };

    private static readonly ReplicaAnswer s_answer = new()
    {
        Status = ReplicaAnswerStatus.NotLeader,
        Result = new byte[] { 4 },
        Leader = 3,
        Term = 8,
        FromLeader = false,
        ConfigurationIndex = 17,
        Members = [1, 2, 3],
        Error = "why",
    };

    [Fact]
    public void Requests_and_answers_round_trip()
    {
        var request = RoutingCodec.DecodeRequest(RoutingCodec.Encode(s_request));
        Assert.Equal((s_request.Group, s_request.Kind, s_request.Id, s_request.Timeout), (request.Group, request.Kind, request.Id, request.Timeout));
        Assert.Equal(s_request.Payload.ToArray(), request.Payload.ToArray());

        var answer = RoutingCodec.DecodeAnswer(RoutingCodec.Encode(s_answer));
        Assert.Equal((s_answer.Status, s_answer.Leader, s_answer.Term, s_answer.FromLeader, s_answer.ConfigurationIndex, s_answer.Error), (answer.Status, answer.Leader, answer.Term, answer.FromLeader, answer.ConfigurationIndex, answer.Error));
        Assert.Equal([1UL, 2UL, 3UL], answer.Members.ToArray());
        Assert.Equal([4], answer.Result.ToArray());
    }

    [Fact]
    public void A_request_is_not_taken_for_an_answer_nor_a_newer_version_read()
    {
        var bytes = RoutingCodec.Encode(s_request);
        Assert.Throws<ProtocolException>(() => RoutingCodec.DecodeAnswer(bytes));
        bytes[4] = RoutingCodec.CurrentVersion + 1;
        Assert.Contains("version", Assert.Throws<ProtocolException>(() => RoutingCodec.DecodeRequest(bytes)).Message);
        Assert.Throws<ProtocolException>(() => RoutingCodec.DecodeRequest(RoutingCodec.Encode(s_request with { Group = 0 })));
    }

    [Fact]
    public void Mutated_and_truncated_bytes_fail_only_with_a_protocol_exception()
    {
        var random = new Random(20261125);
        byte[][] samples = [RoutingCodec.Encode(s_request), RoutingCodec.Encode(s_answer)];
        for (var i = 0; i < 5000; i++)
        {
            var sample = samples[i % 2];
            var bytes = sample.AsSpan(0, random.Next(sample.Length + 1)).ToArray();
            for (var flips = random.Next(1, 4); flips > 0 && bytes.Length > 0; flips--)
            {
                bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
            }

            try
            {
                _ = i % 2 == 0 ? RoutingCodec.DecodeRequest(bytes) : (object)RoutingCodec.DecodeAnswer(bytes);
            }
            catch (ProtocolException)
            {
            }
        }
    }
}
