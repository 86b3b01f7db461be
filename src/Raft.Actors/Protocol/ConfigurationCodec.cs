using MessagePack;

namespace Raft.Actors.Protocol;

/// <summary>
/// The payload of an <see cref="EntryType.ConfChange"/> entry: the whole configuration the
/// change leads to, not the change itself. A node that joins, or replays a log whose start was
/// compacted, needs no earlier configuration to know the one in force.
/// </summary>
public static class ConfigurationCodec
{
    /// <summary>Encodes a configuration as an entry payload.</summary>
    public static byte[] Encode(ConfState configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return MessagePackSerializer.Serialize(configuration, MessageCodec.Options);
    }

    /// <summary>
    /// Decodes an entry payload. False for bytes that are not a well-formed configuration (see
    /// <see cref="MessageValidation"/>): every node reads the same bytes, so every node skips the
    /// same malformed entry and memberships stay equal.
    /// </summary>
    public static bool TryDecode(ReadOnlyMemory<byte> data, out ConfState configuration)
    {
        try
        {
            var decoded = MessagePackSerializer.Deserialize<ConfState?>(data, MessageCodec.Options);
            configuration = decoded ?? new ConfState();
            return decoded is not null && MessageValidation.FindConfigurationError(decoded) is null;
        }
        catch (MessagePackSerializationException)
        {
            configuration = new ConfState();
            return false;
        }
    }
}
