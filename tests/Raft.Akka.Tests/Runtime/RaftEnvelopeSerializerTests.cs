using Akka.Actor;
using Raft.Akka.Serialization;

namespace Raft.Akka.Tests.Runtime;

public sealed class RaftEnvelopeSerializerTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("serializer");

    [Fact]
    public void Envelopes_round_trip_and_the_identifier_is_outside_akkas_reserved_range()
    {
        var serializer = new RaftEnvelopeSerializer((ExtendedActorSystem)_system);
        Assert.True(serializer.Identifier > 100);

        var frame = new RaftFrame("cluster-ä", 42, [1, 2, 3]);
        var back = (RaftFrame)serializer.FromBinary(serializer.ToBinary(frame), serializer.Manifest(frame));
        Assert.Equal((frame.ClusterId, frame.From), (back.ClusterId, back.From));
        Assert.Equal(frame.Frame, back.Frame);

        var request = new RaftRequest("c", [9]);
        var request2 = (RaftRequest)serializer.FromBinary(serializer.ToBinary(request), serializer.Manifest(request));
        Assert.Equal(request.ClusterId, request2.ClusterId);
        Assert.Equal(request.Request, request2.Request);

        var answer = new RaftAnswer([4, 5]);
        Assert.Equal(answer.Answer, ((RaftAnswer)serializer.FromBinary(serializer.ToBinary(answer), serializer.Manifest(answer))).Answer);
    }

    [Fact]
    public void Truncated_envelopes_fail_with_a_serialization_error()
    {
        var serializer = new RaftEnvelopeSerializer((ExtendedActorSystem)_system);
        Assert.ThrowsAny<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary([1, 0, 0, 0], "F"));
        Assert.ThrowsAny<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary([255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "F"));
        Assert.ThrowsAny<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary([], "X"));
    }

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));
}
