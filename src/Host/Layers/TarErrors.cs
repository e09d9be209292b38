namespace ImageCache.Host.Layers;

/// <summary>The one-line <see cref="InvalidDataException"/> messages of the tar reader: entry, position, problem.</summary>
internal static class TarErrors
{
    public static InvalidDataException Malformed(string entryName, long offset, string problem) =>
        new($"tar entry '{Printable(entryName)}' (header at byte {offset}): {Printable(problem, 1024)}");

    /// <summary>
    /// A block where a header belongs that does not check out as one. Its "name" is then noise (a text file's first
    /// line, random bytes), so the message gives the position only; at byte 0 the input is simply not a tar.
    /// </summary>
    public static InvalidDataException NotAHeader(long offset, string why) =>
        new(offset == 0
            ? $"the first 512 bytes are not a tar header ({why})"
            : $"the 512 bytes at byte {offset} are not a tar header ({why}); the entry before them may be cut short or state a wrong size");

    /// <summary>Says that a whole input is too short to hold even one header: no tar, whatever it is.</summary>
    public static string ShorterThanAHeader(int length) => $"it is {length} bytes, shorter than one 512-byte tar header";

    /// <summary>An archive value quoted in a message: decoded leniently and shortened.</summary>
    public static string Quote(ReadOnlySpan<byte> value) =>
        Printable(System.Text.Encoding.UTF8.GetString(value[..Math.Min(value.Length, 64)]), 64);

    public static InvalidDataException Truncated(string entryName, long offset, string where) =>
        Malformed(entryName, offset, $"the archive is truncated {where}");

    public static InvalidDataException Sparse(string entryName, long offset) =>
        new($"GNU sparse file '{Printable(entryName)}' is not supported (header at byte {offset}); recreate the layer without --sparse");

    // Keeps messages on one line and free of terminal control bytes whatever the archive holds.
    static string Printable(string name, int max = 256)
    {
        if (name.Length > max) name = string.Concat(name.AsSpan(0, max), "…");
        return string.Create(name.Length, name, static (span, source) =>
        {
            for (int i = 0; i < source.Length; i++)
                span[i] = char.IsControl(source[i]) ? '?' : source[i];
        });
    }
}
