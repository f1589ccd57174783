using System.Buffers.Binary;
using System.Numerics;

namespace Chat.Runtime;

/// <summary>
/// xxHash32 (the algorithm Orleans uses for grain placement), written here because
/// System.IO.Hashing is not available. Deterministic across processes, unlike string.GetHashCode.
/// </summary>
public static class StableHash
{
    private const uint Prime1 = 2654435761U;
    private const uint Prime2 = 2246822519U;
    private const uint Prime3 = 3266489917U;
    private const uint Prime4 = 668265263U;
    private const uint Prime5 = 374761393U;

    /// <summary>xxHash32 of <paramref name="data"/> with the given seed.</summary>
    public static uint XxHash32(ReadOnlySpan<byte> data, uint seed = 0)
    {
        var length = data.Length;
        uint h;
        if (length >= 16)
        {
            var v1 = seed + Prime1 + Prime2;
            var v2 = seed + Prime2;
            var v3 = seed;
            var v4 = seed - Prime1;
            while (data.Length >= 16)
            {
                v1 = Round(v1, BinaryPrimitives.ReadUInt32LittleEndian(data));
                v2 = Round(v2, BinaryPrimitives.ReadUInt32LittleEndian(data[4..]));
                v3 = Round(v3, BinaryPrimitives.ReadUInt32LittleEndian(data[8..]));
                v4 = Round(v4, BinaryPrimitives.ReadUInt32LittleEndian(data[12..]));
                data = data[16..];
            }

            h = BitOperations.RotateLeft(v1, 1) + BitOperations.RotateLeft(v2, 7) + BitOperations.RotateLeft(v3, 12) + BitOperations.RotateLeft(v4, 18);
        }
        else
        {
            h = seed + Prime5;
        }

        h += (uint)length;
        while (data.Length >= 4)
        {
            h += BinaryPrimitives.ReadUInt32LittleEndian(data) * Prime3;
            h = BitOperations.RotateLeft(h, 17) * Prime4;
            data = data[4..];
        }

        foreach (var b in data)
        {
            h += b * Prime5;
            h = BitOperations.RotateLeft(h, 11) * Prime1;
        }

        h ^= h >> 15;
        h *= Prime2;
        h ^= h >> 13;
        h *= Prime3;
        h ^= h >> 16;
        return h;
    }

    /// <summary>xxHash32 of the UTF-8 bytes of <paramref name="text"/>.</summary>
    public static uint XxHash32(string text, uint seed = 0) => XxHash32(System.Text.Encoding.UTF8.GetBytes(text), seed);

    private static uint Round(uint acc, uint input)
    {
        acc += input * Prime2;
        acc = BitOperations.RotateLeft(acc, 13);
        return acc * Prime1;
    }
}
