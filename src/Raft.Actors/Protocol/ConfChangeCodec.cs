using MessagePack;

namespace Raft.Actors.Protocol;

/// <summary>The bytes of a <see cref="ConfChange"/> in an <see cref="EntryType.ConfChange"/> entry.</summary>
public static class ConfChangeCodec
{
    /// <summary>Encodes a change as an entry payload.</summary>
    public static byte[] Encode(ConfChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return MessagePackSerializer.Serialize(change, MessageCodec.Options);
    }

    /// <summary>
    /// Decodes an entry payload. False for bytes that are not a change: every node reads the
    /// same bytes, so every node skips the same malformed entry and memberships stay equal.
    /// </summary>
    public static bool TryDecode(ReadOnlyMemory<byte> data, out ConfChange change)
    {
        try
        {
            var decoded = MessagePackSerializer.Deserialize<ConfChange?>(data, MessageCodec.Options);
            change = decoded ?? ConfChange.LeaveJoint;
            return decoded is not null && !decoded.Items.IsDefault && decoded.Items.All(i => i is not null);
        }
        catch (MessagePackSerializationException)
        {
            change = ConfChange.LeaveJoint;
            return false;
        }
    }
}
