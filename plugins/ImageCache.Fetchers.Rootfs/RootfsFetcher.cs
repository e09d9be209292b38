using System.IO.Pipes;
using System.Security.Cryptography;
using System.Text;
using ImageCache.Contracts;
using ImageCache.Fetchers.Shared;

namespace ImageCache.Fetchers.Rootfs;

/// <summary>
/// <c>rootfs:PATH</c>: a root filesystem — a directory, or a tar of one (plain, gzip or zstd, sniffed from the magic
/// bytes) — as a one-layer OCI image in the blob store: the layer, a config (<c>rootfs.type</c> <c>layers</c>, its
/// diff_id, os/architecture from <c>--platform</c> or the host) and a manifest, so the rest of the pull is unchanged.
/// </summary>
/// <remarks>
/// <para>The layer is a canonical uncompressed tar (<see cref="CanonicalLayer"/>): its digest depends only on the tree,
/// so a directory and any tar of it (that kept the same metadata) give the same layer, config and manifest digests,
/// and so the same content key — a re-pull of an unchanged tree builds nothing.</para>
/// <para>An archive is re-serialised rather than stored as it is: storing it as is would make the digest depend on
/// the tool that wrote it (member order, header format, compression level and library version), which breaks
/// "same tree, same digest". The layer is stored uncompressed for the same reason: gzip/zstd output is not stable
/// across library versions, and the blob never leaves this machine, so compression would only cost time.</para>
/// </remarks>
[Fetcher("rootfs", Description = "Root filesystem directory or .tar/.tar.gz/.tar.zst: rootfs:PATH")]
internal sealed class RootfsFetcher : IImageFetcher
{
    public const string Transport = "rootfs";
    const string LayerMediaType = "application/vnd.oci.image.layer.v1.tar";
    const string ConfigMediaType = "application/vnd.oci.image.config.v1+json";
    const string ManifestMediaType = "application/vnd.oci.image.manifest.v1+json";

    public async Task<FetchedImage> FetchAsync(FetchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!OperatingSystem.IsLinux()) throw new ImageSourceException($"{Transport}: reading a root filesystem needs Linux");
        if (string.IsNullOrWhiteSpace(request.Location))
            throw new ImageSourceException($"{Transport}: no path given (expected {Transport}:DIR or {Transport}:FILE.tar[.gz|.zst])");
        if (request.Location.Contains('\0')) throw new ImageSourceException($"{Transport}: the path contains a NUL character");
        var path = Path.GetFullPath(request.Location);
        var source = $"{Transport}:{path}";
        // The path the user named may itself be a symlink (their choice); inside the tree nothing is ever followed.
        if (Directory.Exists(path)) path = new DirectoryInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
        else if (!File.Exists(path)) throw new ImageSourceException($"{source}: no such file or directory");

        var platform = request.Platform ?? Platforms.Host;
        var temp = Directory.CreateTempSubdirectory("imagecache-rootfs-"); // mode 0700
        try
        {
            var entries = Directory.Exists(path)
                ? DirectoryScanner.Scan(path, source, cancellationToken)
                : await TarScanner.ScanAsync(path, Path.Combine(temp.FullName, "spool"), source, cancellationToken).ConfigureAwait(false);

            var (layerDigest, layerSize) = await StoreLayerAsync(entries, request, source, cancellationToken).ConfigureAwait(false);
            var config = Config(platform, layerDigest);
            var configDigest = await PutSmallAsync(request, config, source, "config", cancellationToken).ConfigureAwait(false);
            var manifest = Manifest(configDigest, config.Length, layerDigest, layerSize);
            var manifestDigest = await PutSmallAsync(request, manifest, source, "manifest", cancellationToken).ConfigureAwait(false);
            return new FetchedImage($"{source}@{manifestDigest}", manifestDigest, null, platform, configDigest,
                [new LayerDescriptor(layerDigest, LayerMediaType, layerSize, layerDigest)]);
        }
        finally
        {
            try { temp.Delete(recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    /// <summary>Streams the canonical tar straight into the blob store through a pipe (no second copy on disk); the store hashes it.</summary>
    static async Task<(string Digest, long Size)> StoreLayerAsync(List<RootfsEntry> entries, FetchRequest request, string source, CancellationToken cancellationToken)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await using var writerEnd = new AnonymousPipeServerStream(PipeDirection.Out);
        await using var readerEnd = new AnonymousPipeClientStream(PipeDirection.In, writerEnd.ClientSafePipeHandle);
        var write = Task.Run(async () =>
        {
            try { return await CanonicalLayer.WriteAsync(entries, writerEnd, source, cancel.Token).ConfigureAwait(false); }
            finally { writerEnd.Dispose(); } // end of stream for the reader, also after a failure
        }, cancel.Token);
        string stored;
        try
        {
            stored = await request.Blobs.PutAsync(readerEnd, null, null, cancel.Token).ConfigureAwait(false);
        }
        catch
        {
            await cancel.CancelAsync().ConfigureAwait(false);
            try { await write.ConfigureAwait(false); } catch (Exception) { /* the writer's error, if any, is reported below */ }
            throw;
        }
        var (digest, size) = await write.ConfigureAwait(false); // a writer failure surfaces here; the store then holds a blob nobody references (prune collects it)
        if (stored != digest) throw new ImageSourceException($"{source}: the layer changed while it was stored (expected {digest}, stored {stored})");
        request.Progress?.Report(new TransferProgress(digest, size, size, Reused: false));
        return (digest, size);
    }

    static async Task<string> PutSmallAsync(FetchRequest request, byte[] bytes, string source, string what, CancellationToken cancellationToken)
    {
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
        try { await request.Blobs.PutAsync(new MemoryStream(bytes, writable: false), digest, bytes.Length, cancellationToken).ConfigureAwait(false); }
        catch (ImageSourceException e) { throw new ImageSourceException($"{source}: {what}: {e.Message}", e); }
        return digest;
    }

    /// <summary>
    /// The image config, written by hand with a fixed field order and no whitespace (every value is a constant, a
    /// validated digest or a platform name), so the same tree and platform always give the same config digest. No
    /// <c>created</c> time: it would change the digest on every pull.
    /// </summary>
    internal static byte[] Config(PlatformSpec platform, string diffId)
    {
        var variant = platform.Variant.Length > 0 ? $",\"variant\":{Quote(platform.Variant)}" : "";
        return Encoding.UTF8.GetBytes(
            $"{{\"architecture\":{Quote(platform.Architecture)},\"os\":{Quote(platform.Os)}{variant},\"config\":{{}},\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[\"{diffId}\"]}}}}");
    }

    internal static byte[] Manifest(string configDigest, long configSize, string layerDigest, long layerSize) => Encoding.UTF8.GetBytes(
        $"{{\"schemaVersion\":2,\"mediaType\":\"{ManifestMediaType}\",\"config\":{{\"mediaType\":\"{ConfigMediaType}\",\"digest\":\"{configDigest}\",\"size\":{configSize}}},"
        + $"\"layers\":[{{\"mediaType\":\"{LayerMediaType}\",\"digest\":\"{layerDigest}\",\"size\":{layerSize}}}]}}");

    static string Quote(string text) => System.Text.Json.JsonSerializer.Serialize(text);
}
