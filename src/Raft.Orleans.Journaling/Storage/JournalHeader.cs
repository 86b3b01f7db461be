namespace Raft.Orleans.Journaling.Storage;

/// <summary>
/// The data header of a journal: its version (+1 on every append, replace or create), how many
/// chunks it has, and the format its bytes are in. Every write compares the header bytes its
/// writer last saw, so a writer that missed another's write is refused.
/// </summary>
internal sealed record JournalHeader(ulong Version, int Chunks, string? FormatKey)
{
    public byte[] Encode()
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer))
        {
            writer.Write(Version);
            writer.Write(Chunks);
            writer.Write(FormatKey ?? "");
        }

        return buffer.ToArray();
    }

    public static JournalHeader Decode(byte[] bytes)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes));
        var version = reader.ReadUInt64();
        var chunks = reader.ReadInt32();
        var format = reader.ReadString();
        return new JournalHeader(version, chunks, format.Length == 0 ? null : format);
    }
}

/// <summary>The caller-owned metadata properties of a journal and their version (the metadata ETag).</summary>
internal sealed record JournalProperties(ulong Version, IReadOnlyDictionary<string, string> Values)
{
    public static readonly JournalProperties None = new(0, new Dictionary<string, string>());

    public byte[] Encode()
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer))
        {
            writer.Write(Version);
            writer.Write(Values.Count);
            foreach (var (key, value) in Values.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                writer.Write(key);
                writer.Write(value);
            }
        }

        return buffer.ToArray();
    }

    public static JournalProperties Decode(byte[]? bytes)
    {
        if (bytes is null)
        {
            return None;
        }

        using var reader = new BinaryReader(new MemoryStream(bytes));
        var version = reader.ReadUInt64();
        var count = reader.ReadInt32();
        var values = new Dictionary<string, string>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            values[reader.ReadString()] = reader.ReadString();
        }

        return new JournalProperties(version, values);
    }
}
