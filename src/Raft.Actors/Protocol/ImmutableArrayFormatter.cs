using System.Collections.Immutable;
using MessagePack;
using MessagePack.Formatters;

namespace Raft.Actors.Protocol;

/// <summary>
/// MessagePack formatter for <see cref="ImmutableArray{T}"/> fields of the wire records, used in
/// place of the one <c>StandardResolver</c> provides.
/// </summary>
/// <remarks>
/// The standard formatter writes a default array as nil and reads nil back as a default array,
/// on which <c>Length</c> and enumeration throw; this one writes a default array as an empty
/// array and reads nil as empty, so a decoded record never holds a default array. It also
/// checks the claimed element count before allocating: a negative Array32 count (a length of
/// 2^31 or more) passes MessagePack's own one-byte-per-element check, and
/// <paramref name="minElementBytes"/> tightens that check to the smallest encoding a valid
/// element can have, so the array allocated is bounded by the bytes actually present.
/// </remarks>
/// <param name="minElementBytes">The fewest bytes a valid element can be encoded in (at least 1).</param>
internal sealed class ImmutableArrayFormatter<T>(int minElementBytes) : IMessagePackFormatter<ImmutableArray<T>>
{
    private readonly int _minElementBytes = minElementBytes >= 1
        ? minElementBytes
        : throw new ArgumentOutOfRangeException(nameof(minElementBytes), minElementBytes, "An element takes at least one byte.");

    /// <inheritdoc />
    public void Serialize(ref MessagePackWriter writer, ImmutableArray<T> value, MessagePackSerializerOptions options)
    {
        if (value.IsDefaultOrEmpty)
        {
            writer.WriteArrayHeader(0);
            return;
        }

        var formatter = options.Resolver.GetFormatterWithVerify<T>();
        writer.WriteArrayHeader(value.Length);
        foreach (var item in value)
        {
            formatter.Serialize(ref writer, item, options);
        }
    }

    /// <inheritdoc />
    public ImmutableArray<T> Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return [];
        }

        if (!reader.TryReadArrayHeader(out var count))
        {
            throw new EndOfStreamException();
        }

        var remaining = reader.Sequence.Length - reader.Consumed;
        if (count < 0 || count > remaining / _minElementBytes)
        {
            throw new MessagePackSerializationException(
                $"An array of {typeof(T).Name} claims {(uint)count} elements, but the {remaining} bytes left hold at most {remaining / _minElementBytes}.");
        }

        options.Security.DepthStep(ref reader);
        try
        {
            var formatter = options.Resolver.GetFormatterWithVerify<T>();
            var builder = ImmutableArray.CreateBuilder<T>(count);
            for (var i = 0; i < count; i++)
            {
                builder.Add(formatter.Deserialize(ref reader, options));
            }

            return builder.MoveToImmutable();
        }
        finally
        {
            reader.Depth--;
        }
    }
}
