using System.Globalization;
using ImageCache.Contracts;

namespace ImageCache.Builders.Squashfs;

/// <summary>The <c>--builder-opt</c> settings of the squashfs builder.</summary>
/// <param name="Compressor"><c>compressor=</c>: zstd (default), gzip, xz, lz4 or lzo — the ones the Linux kernel reads.</param>
/// <param name="BlockSize"><c>block-size=</c>: a power of two from 4096 to 1048576 bytes (default 131072).</param>
/// <param name="Jobs"><c>jobs=</c>: tar2sqfs compressor threads (default: processors, at most 8); the image does not depend on it.</param>
internal sealed record SquashfsOptions(string Compressor, int BlockSize, int Jobs)
{
    public const string DefaultCompressor = "zstd";
    public const int DefaultBlockSize = 131072;
    private static readonly string[] Compressors = ["zstd", "gzip", "xz", "lz4", "lzo"];

    /// <exception cref="FilesystemBuildException">An option is unknown or its value is invalid.</exception>
    public static SquashfsOptions Parse(IReadOnlyDictionary<string, string> options)
    {
        var result = new SquashfsOptions(DefaultCompressor, DefaultBlockSize, Math.Clamp(Environment.ProcessorCount, 1, 8));
        foreach (var (key, value) in options.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            switch (key)
            {
                case "compressor" or "compression":
                    if (!Compressors.Contains(value, StringComparer.Ordinal))
                        throw new FilesystemBuildException($"squashfs: unknown compressor '{value}' (use one of {string.Join(", ", Compressors)}).");
                    result = result with { Compressor = value };
                    break;
                case "block-size":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var size)
                        || size < 4096 || size > 1048576 || (size & (size - 1)) != 0)
                        throw new FilesystemBuildException($"squashfs: block-size must be a power of two from 4096 to 1048576, not '{value}'.");
                    result = result with { BlockSize = size };
                    break;
                case "jobs":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var jobs) || jobs is < 1 or > 256)
                        throw new FilesystemBuildException($"squashfs: jobs must be a number from 1 to 256, not '{value}'.");
                    result = result with { Jobs = jobs };
                    break;
                default:
                    throw new FilesystemBuildException($"squashfs: unknown builder option '{key}' (known: compressor, block-size, jobs).");
            }
        }

        return result;
    }
}
