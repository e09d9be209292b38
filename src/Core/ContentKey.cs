using System.Diagnostics.Contracts;
using System.Text;

namespace ImageCache.Core;

/// <summary>
/// The content key of a baseline: what makes two baselines byte-identical. The same manifest, platform,
/// builder and build options give the same key whatever reference spelling or transport brought the image.
/// </summary>
public static class ContentKey
{
    /// <summary>Bumped when the builders' output for the same inputs changes, so old baselines are not reused.</summary>
    public const int Version = 1;

    /// <summary>The key: 64 lowercase hex digits.</summary>
    [Pure]
    public static string Compute(string manifestDigest, Platform platform, string builder, BuildOptions options)
    {
        // NUL-separated so no field can run into the next.
        var text = string.Join('\0',
            $"imagecache-baseline-v{Version}", manifestDigest, platform.ToString(), builder,
            options.SizeMiB.Match(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture), () => "auto"),
            options.InitSha256, options.InitSha256.Length > 0 ? options.InitPath : "",
            options.SetuidPolicy, options.Journal ? "journal" : "no-journal");
        return Digest.Sha256Of(Encoding.UTF8.GetBytes(text)).Encoded;
    }

    /// <summary>The baseline's file name in the store: <c>&lt;key&gt;.&lt;extension&gt;</c>.</summary>
    [Pure]
    public static string FileName(string contentKey, string extension) => $"{contentKey}.{extension}";
}
