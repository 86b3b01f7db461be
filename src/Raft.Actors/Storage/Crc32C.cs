using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Raft.Actors.Storage;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of every log record. System.IO.Hashing 10.0 offers only
/// CRC-32 (IEEE) and CRC-64, so this uses <see cref="BitOperations.Crc32C(uint, ulong)"/>, which
/// compiles to the SSE4.2 / ARMv8 <c>crc32</c> instruction where the CPU has it.
/// </summary>
internal static class Crc32C
{
    /// <summary>The running value to start from.</summary>
    public const uint Seed = 0xFFFF_FFFF;

    /// <summary>Continues a running CRC (start with <see cref="Seed"/>) over <paramref name="data"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        if (BitConverter.IsLittleEndian)
        {
            foreach (var word in words)
            {
                crc = BitOperations.Crc32C(crc, word);
            }
        }
        else
        {
            foreach (var word in words)
            {
                crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReverseEndianness(word));
            }
        }

        foreach (var b in data[(words.Length * sizeof(ulong))..])
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }

    /// <summary>Finishes a running CRC.</summary>
    public static uint Finish(uint crc) => ~crc;

    /// <summary>CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Seed, data));
}
