using System.Security.Cryptography;
using ImageCache.Core;
using ImageCache.Core.Layers;
using LanguageExt;

namespace ImageCache.Host.Operations;

/// <summary>
/// The guest init a pull copies into the image (origin-behaviour §4.9, binary mode): the file at
/// <see cref="HostPath"/> becomes <see cref="ImagePath"/>, mode 0755, owner 0:0. Nothing else is written.
/// </summary>
/// <param name="HostPath">The init binary on the host.</param>
/// <param name="ImagePath">Its absolute path in the image.</param>
/// <param name="Sha256">Its SHA-256 (hex), recorded as <c>init_sha256</c> and part of the content key.</param>
internal sealed record GuestInit(string HostPath, string ImagePath, string Sha256)
{
    /// <summary>Checks <c>--init</c>/<c>--init-path</c> and hashes the init; null when no init is asked for.</summary>
    public static async Task<GuestInit?> ResolveAsync(string? hostPath, string? imagePath, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(hostPath))
        {
            if (!string.IsNullOrEmpty(imagePath)) throw Fail("--init-path needs --init FILE");
            return null;
        }
        var target = string.IsNullOrEmpty(imagePath) ? BuildOptions.Default.InitPath : imagePath;
        if (target[0] != '/' || target.Contains('\0', StringComparison.Ordinal))
            throw Fail($"--init-path must be an absolute path in the image (got '{target.Replace("\0", "\\0", StringComparison.Ordinal)}')");
        var normalized = PathRules.Normalize(target.TrimStart('/').Length == 0 ? "." : target.TrimStart('/'))
            .Match(p => p, error => throw Fail($"--init-path '{target}' is not usable: {error.Message}"));
        if (normalized == PathRules.Root) throw Fail("--init-path cannot be the image root");
        if (PathRules.BaseName(normalized).StartsWith(".wh.", StringComparison.Ordinal)) throw Fail($"--init-path '{target}' names a whiteout");

        var info = new FileInfo(hostPath);
        if (!info.Exists) throw Fail($"--init {hostPath}: no such file");
        string sha256;
        await using (var stream = new FileStream(hostPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan))
            sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        return new GuestInit(Path.GetFullPath(hostPath), "/" + normalized, sha256);
    }

    /// <summary>Spools the init as <c>spool/&lt;layer&gt;-0</c> and returns the one-entry layer that places it.</summary>
    public async Task<Seq<LayerEntry>> AsLayerAsync(int layerIndex, string spool, CancellationToken cancellationToken)
    {
        var spooled = Path.Combine(spool, $"{layerIndex}-0");
        long size;
        await using (var source = new FileStream(HostPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan))
        await using (var copy = new FileStream(spooled, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
        {
            await source.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
            size = copy.Length;
        }
        // The bytes hashed are the bytes copied: a file changed in between would give a record that lies.
        await using (var check = new FileStream(spooled, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan))
            if (Convert.ToHexStringLower(await SHA256.HashDataAsync(check, cancellationToken).ConfigureAwait(false)) != Sha256)
                throw Fail($"--init {HostPath} changed while it was being copied");
        var entry = new LayerEntry
        {
            Name = ImagePath.TrimStart('/'),
            Kind = LayerEntryKind.File,
            Mode = 0b111_101_101,
            Uid = 0,
            Gid = 0,
            ModifiedTime = DateTimeOffset.UnixEpoch,
            Size = size,
            DataRef = new DataRef(layerIndex, 0),
        };
        return Prelude.Seq1(entry);
    }

    static ImageCacheException Fail(string message) => new(HostErrorCodes.PullFailed, message);
}
