using System.Buffers.Binary;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;

namespace Raft.Akka.Serialization;

/// <summary>
/// Bytes for the <see cref="IRaftEnvelope"/> messages on Akka.Remote. The frames and requests
/// inside are already MessagePack (<see cref="Actors.Protocol.MessageCodec"/>,
/// <see cref="Actors.Routing.RoutingCodec"/>); the envelope adds the cluster id and the sender's
/// node id: <c>[cluster id length:int32][cluster id UTF-8][from:uint64][frame]</c>, little-endian.
/// Bound to <see cref="IRaftEnvelope"/> in <c>reference.conf</c> with identifier
/// <see cref="Id"/>, outside the range Akka reserves (0–100).
/// </summary>
public sealed class RaftEnvelopeSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>This serializer's identifier.</summary>
    public const int Id = 1_837_401;

    private const string FrameManifest = "F";
    private const string RequestManifest = "Q";
    private const string AnswerManifest = "A";

    /// <inheritdoc />
    public override int Identifier => Id;

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        RaftFrame => FrameManifest,
        RaftRequest => RequestManifest,
        RaftAnswer => AnswerManifest,
        _ => throw new ArgumentException($"{o?.GetType().FullName ?? "null"} is not a Raft envelope.", nameof(o)),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) => obj switch
    {
        RaftFrame f => Write(f.ClusterId, f.From, f.Frame),
        RaftRequest r => Write(r.ClusterId, 0, r.Request),
        RaftAnswer a => a.Answer,
        _ => throw new ArgumentException($"{obj?.GetType().FullName ?? "null"} is not a Raft envelope.", nameof(obj)),
    };

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        switch (manifest)
        {
            case FrameManifest:
                {
                    var (cluster, from, body) = Read(bytes);
                    return new RaftFrame(cluster, from, body);
                }

            case RequestManifest:
                {
                    var (cluster, _, body) = Read(bytes);
                    return new RaftRequest(cluster, body);
                }

            case AnswerManifest:
                return new RaftAnswer(bytes);
            default:
                throw new SerializationException($"Unknown Raft envelope manifest \"{manifest}\".");
        }
    }

    private static byte[] Write(string cluster, ulong from, byte[] body)
    {
        var name = Encoding.UTF8.GetBytes(cluster);
        var bytes = new byte[4 + name.Length + 8 + body.Length];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, name.Length);
        name.CopyTo(bytes.AsSpan(4));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(4 + name.Length), from);
        body.CopyTo(bytes.AsSpan(12 + name.Length));
        return bytes;
    }

    private static (string Cluster, ulong From, byte[] Body) Read(byte[] bytes)
    {
        if (bytes.Length < 12)
        {
            throw new SerializationException($"A Raft envelope of {bytes.Length} bytes is truncated.");
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        if (length < 0 || length > bytes.Length - 12)
        {
            throw new SerializationException($"A Raft envelope of {bytes.Length} bytes names a cluster id of {length} bytes.");
        }

        var cluster = Encoding.UTF8.GetString(bytes, 4, length);
        var from = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(4 + length));
        return (cluster, from, bytes[(12 + length)..]);
    }
}
