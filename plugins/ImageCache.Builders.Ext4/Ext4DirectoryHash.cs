using System.Buffers.Binary;
using System.Numerics;

namespace ImageCache.Builders.Ext4;

/// <summary>
/// The htree name hash: half MD4 with the superblock's hash seed, over names read as signed chars (the
/// "signed_directory_hash" flag, which mke2fs sets on x86). Hash version 1 (DX_HASH_HALF_MD4), mke2fs's default.
/// The result is even (bit 0 marks hash collisions that continue into the next leaf) and never 0xFFFFFFFE
/// (the end-of-directory marker). Pure.
/// </summary>
internal static class Ext4DirectoryHash
{
    public const byte HalfMd4 = 1;

    private const uint K2 = 0x5A827999; // 013240474631
    private const uint K3 = 0x6ED9EBA1; // 015666365641

    /// <summary>The major hash of <paramref name="name"/> with the 16-byte <paramref name="seed"/> (s_hash_seed).</summary>
    public static uint Hash(ReadOnlySpan<byte> name, ReadOnlySpan<byte> seed)
    {
        Span<uint> buffer = stackalloc uint[4];
        buffer[0] = 0x67452301;
        buffer[1] = 0xEFCDAB89;
        buffer[2] = 0x98BADCFE;
        buffer[3] = 0x10325476;
        if (seed.ContainsAnyExcept((byte)0)) // an all-zero seed means "use the default"
        {
            for (var i = 0; i < 4; i++) buffer[i] = BinaryPrimitives.ReadUInt32LittleEndian(seed[(i * 4)..]);
        }

        Span<uint> input = stackalloc uint[8];
        var remaining = name;
        do
        {
            ToHashInput(remaining, input);
            Transform(buffer, input);
            remaining = remaining.Length > 32 ? remaining[32..] : default;
        }
        while (!remaining.IsEmpty);

        var hash = buffer[1] & ~1u;
        return hash == 0x7FFFFFFFu << 1 ? (0x7FFFFFFFu - 1) << 1 : hash;
    }

    /// <summary>str2hashbuf_signed: up to 32 bytes into 8 words, big-endian within each word, padded with a length pattern.</summary>
    private static void ToHashInput(ReadOnlySpan<byte> message, Span<uint> words)
    {
        var length = (uint)message.Length;
        var pad = length | (length << 8);
        pad |= pad << 16;
        var value = pad;
        var count = Math.Min(message.Length, words.Length * 4);
        var at = 0;
        for (var i = 0; i < count; i++)
        {
            value = unchecked((uint)(sbyte)message[i] + (value << 8));
            if (i % 4 == 3)
            {
                words[at++] = value;
                value = pad;
            }
        }

        if (at < words.Length) words[at++] = value;
        while (at < words.Length) words[at++] = pad;
    }

    private static uint F(uint x, uint y, uint z) => z ^ (x & (y ^ z));

    private static uint G(uint x, uint y, uint z) => (x & y) + ((x ^ y) & z);

    private static uint H(uint x, uint y, uint z) => x ^ y ^ z;

    private static void Transform(Span<uint> buffer, ReadOnlySpan<uint> x)
    {
        uint a = buffer[0], b = buffer[1], c = buffer[2], d = buffer[3];

        a = BitOperations.RotateLeft(a + F(b, c, d) + x[0], 3);
        d = BitOperations.RotateLeft(d + F(a, b, c) + x[1], 7);
        c = BitOperations.RotateLeft(c + F(d, a, b) + x[2], 11);
        b = BitOperations.RotateLeft(b + F(c, d, a) + x[3], 19);
        a = BitOperations.RotateLeft(a + F(b, c, d) + x[4], 3);
        d = BitOperations.RotateLeft(d + F(a, b, c) + x[5], 7);
        c = BitOperations.RotateLeft(c + F(d, a, b) + x[6], 11);
        b = BitOperations.RotateLeft(b + F(c, d, a) + x[7], 19);

        a = BitOperations.RotateLeft(a + G(b, c, d) + x[1] + K2, 3);
        d = BitOperations.RotateLeft(d + G(a, b, c) + x[3] + K2, 5);
        c = BitOperations.RotateLeft(c + G(d, a, b) + x[5] + K2, 9);
        b = BitOperations.RotateLeft(b + G(c, d, a) + x[7] + K2, 13);
        a = BitOperations.RotateLeft(a + G(b, c, d) + x[0] + K2, 3);
        d = BitOperations.RotateLeft(d + G(a, b, c) + x[2] + K2, 5);
        c = BitOperations.RotateLeft(c + G(d, a, b) + x[4] + K2, 9);
        b = BitOperations.RotateLeft(b + G(c, d, a) + x[6] + K2, 13);

        a = BitOperations.RotateLeft(a + H(b, c, d) + x[3] + K3, 3);
        d = BitOperations.RotateLeft(d + H(a, b, c) + x[7] + K3, 9);
        c = BitOperations.RotateLeft(c + H(d, a, b) + x[2] + K3, 11);
        b = BitOperations.RotateLeft(b + H(c, d, a) + x[6] + K3, 15);
        a = BitOperations.RotateLeft(a + H(b, c, d) + x[1] + K3, 3);
        d = BitOperations.RotateLeft(d + H(a, b, c) + x[5] + K3, 9);
        c = BitOperations.RotateLeft(c + H(d, a, b) + x[0] + K3, 11);
        b = BitOperations.RotateLeft(b + H(c, d, a) + x[4] + K3, 15);

        buffer[0] += a;
        buffer[1] += b;
        buffer[2] += c;
        buffer[3] += d;
    }
}
