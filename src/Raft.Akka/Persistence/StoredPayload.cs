using System.Text;
using Akka.Actor;

namespace Raft.Akka.Persistence;

/// <summary>
/// An object as the journal and the snapshot store keep it: serialized with the actor system's
/// own serialization (<c>FindSerializerFor</c> and its manifest), with a few fields around it:
/// <c>[version:1][serializer id:int32][manifest][writer guid][event manifest][timestamp:int64][payload]</c>,
/// strings as an int32 UTF-8 length and bytes, little-endian.
/// </summary>
/// <param name="SerializerId">The serializer that wrote <paramref name="Payload"/>.</param>
/// <param name="Manifest">That serializer's manifest for it.</param>
/// <param name="WriterGuid">The writer of an event (empty for a snapshot).</param>
/// <param name="EventManifest">The event adapter's manifest of an event (empty for a snapshot).</param>
/// <param name="Timestamp">The event's timestamp, or the snapshot's in ticks.</param>
/// <param name="Payload">The serialized object.</param>
internal sealed record StoredPayload(int SerializerId, string Manifest, string WriterGuid, string EventManifest, long Timestamp, byte[] Payload)
{
    private const byte Version = 1;

    /// <summary>Serializes <paramref name="value"/> with <paramref name="system"/>'s serialization; throws what the serializer throws.</summary>
    public static StoredPayload Of(ActorSystem system, object value, string writerGuid, string eventManifest, long timestamp)
    {
        var serializer = system.Serialization.FindSerializerFor(value);
        var manifest = global::Akka.Serialization.Serialization.ManifestFor(serializer, value);
        return new StoredPayload(serializer.Identifier, manifest, writerGuid, eventManifest, timestamp, serializer.ToBinary(value));
    }

    /// <summary>The stored object, deserialized.</summary>
    public object Deserialize(ActorSystem system) => system.Serialization.Deserialize(Payload, SerializerId, Manifest);

    /// <summary>These fields as bytes.</summary>
    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Version);
            writer.Write(SerializerId);
            WriteString(writer, Manifest);
            WriteString(writer, WriterGuid);
            WriteString(writer, EventManifest);
            writer.Write(Timestamp);
            writer.Write(Payload);
        }

        return stream.ToArray();
    }

    /// <summary>Reads what <see cref="ToBytes"/> wrote.</summary>
    /// <exception cref="InvalidDataException">Another version, or truncated.</exception>
    public static StoredPayload FromBytes(byte[] bytes)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
            var version = reader.ReadByte();
            if (version != Version)
            {
                throw new InvalidDataException($"Stored payload has format version {version}; this build reads version {Version}.");
            }

            var serializerId = reader.ReadInt32();
            var manifest = ReadString(reader);
            var writerGuid = ReadString(reader);
            var eventManifest = ReadString(reader);
            var timestamp = reader.ReadInt64();
            var payload = reader.ReadBytes(bytes.Length - (int)reader.BaseStream.Position);
            return new StoredPayload(serializerId, manifest, writerGuid, eventManifest, timestamp, payload);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"Stored payload of {bytes.Length} bytes is truncated.", ex);
        }
    }

    private static void WriteString(BinaryWriter writer, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    private static string ReadString(BinaryReader reader)
    {
        var length = reader.ReadInt32();
        if (length < 0 || length > reader.BaseStream.Length - reader.BaseStream.Position)
        {
            throw new InvalidDataException($"Stored payload names a string of {length} bytes.");
        }

        return Encoding.UTF8.GetString(reader.ReadBytes(length));
    }
}
