using System.Buffers.Binary;
using System.Runtime.Intrinsics.X86;

namespace ImageCache.Builders.Ext4;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) as ext4's metadata_csum uses it: the running value is
/// passed in and returned as is, with no final inversion (the kernel's crc32c_le / e2fsprogs' ext2fs_crc32c_le).
/// SSE4.2's crc32 instruction computes exactly this update; a table serves other CPUs. Pure.
/// </summary>
internal static class Ext4Crc32c
{
    private static readonly uint[] Table = BuildTable();

    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        if (Sse42.X64.IsSupported)
        {
            ulong wide = crc;
            while (data.Length >= 8)
            {
                wide = Sse42.X64.Crc32(wide, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }

            crc = (uint)wide;
            foreach (var b in data) crc = Sse42.Crc32(crc, b);
            return crc;
        }

        foreach (var b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    public static uint Update(uint crc, uint littleEndianValue)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, littleEndianValue);
        return Update(crc, bytes);
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0x82F63B78 ^ (c >> 1) : c >> 1;
            table[i] = c;
        }

        return table;
    }
}
