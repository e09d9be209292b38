namespace ImageCache.Host.Layers;

/// <summary>The one-line <see cref="InvalidDataException"/> messages of the tar reader: entry, position, problem.</summary>
internal static class TarErrors
{
    public static InvalidDataException Malformed(string entryName, long offset, string problem) =>
        new($"tar entry '{Printable(entryName)}' (header at byte {offset}): {Printable(problem, 1024)}");

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
