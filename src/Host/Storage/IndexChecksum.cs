using System.Buffers.Binary;
using System.Buffers.Text;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace ImageCache.Host.Storage;

/// <summary>
/// The last member of an index file we write: <c>"checksum": "crc32c:…"</c>, the CRC-32C of every byte before its
/// line (the CPU's crc32 instruction: ~1 ms for 10,000 records, where a hash library's code, which ReadyToRun cannot
/// inline, took ~12 ms). A file whose checksum holds is exactly what this writer produced — valid JSON in its own form, one field
/// per line in a fixed order — so a reader may scan it by lines and defer decoding its records
/// (<see cref="IndexScanner"/>). Anything else (a file of the Go original, which ignores the member and drops it
/// when it writes; a hand edit; a torn or rotten file) fails the check and is read by the full JSON reader, which
/// reports any damage. A writer that changes the form must change the member's name or algorithm tag too.
/// </summary>
internal static class IndexChecksum
{
    /// <summary>The member's line up to the hex digits.</summary>
    static ReadOnlySpan<byte> Opening => "  \"checksum\": \"crc32c:"u8;

    /// <summary>What follows the hex digits: the end of the member and of the document.</summary>
    static ReadOnlySpan<byte> Closing => "\"\n}\n"u8;

    const int HexDigits = 8;

    /// <summary>The length of the trailer <see cref="WriteTrailer"/> writes.</summary>
    static int TrailerLength => Opening.Length + HexDigits + Closing.Length;

    /// <summary>Writes the checksum line for a body whose CRC-32C is <paramref name="crc"/>, and the document's end.</summary>
    public static void WriteTrailer(Stream destination, uint crc)
    {
        destination.Write(Opening);
        Span<byte> hex = stackalloc byte[HexDigits];
        Utf8Formatter.TryFormat(crc, hex, out _, new System.Buffers.StandardFormat('x', HexDigits));
        destination.Write(hex);
        destination.Write(Closing);
    }

    /// <summary>True when <paramref name="file"/> ends with a checksum that matches the bytes before it; <paramref name="bodyLength"/> is then their length.</summary>
    public static bool Holds(ReadOnlySpan<byte> file, out int bodyLength)
    {
        bodyLength = file.Length - TrailerLength;
        if (bodyLength <= 0) return false;
        var trailer = file[bodyLength..];
        if (!trailer.StartsWith(Opening) || !trailer.EndsWith(Closing)) return false;
        var hex = trailer.Slice(Opening.Length, HexDigits);
        if (hex.ContainsAnyExcept("0123456789abcdef"u8)) return false;
        if (!Utf8Parser.TryParse(hex, out uint expected, out var consumed, 'x') || consumed != HexDigits) return false;
        return Crc32C(file[..bodyLength]) == expected;
    }

    /// <summary>CRC-32C (Castagnoli) of <paramref name="data"/>.</summary>
    internal static uint Crc32C(ReadOnlySpan<byte> data) => ~Update(uint.MaxValue, data);

    /// <summary>
    /// Feeds <paramref name="data"/> to a running CRC-32C state (start with <see cref="uint.MaxValue"/>, finish with
    /// <c>~</c>), eight bytes at a time with the crc32 instruction where the CPU has it. Any split of the input gives
    /// the same result.
    /// </summary>
    internal static uint Update(uint state, ReadOnlySpan<byte> data)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        if (Sse42.X64.IsSupported)
            foreach (var word in words) state = (uint)Sse42.X64.Crc32(state, word);
        else
            foreach (var word in words) state = BitOperations.Crc32C(state, BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word));
        foreach (var b in data[(words.Length * sizeof(ulong))..]) state = BitOperations.Crc32C(state, b);
        return state;
    }
}
