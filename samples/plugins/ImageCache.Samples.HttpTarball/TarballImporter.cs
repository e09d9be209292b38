using System.Buffers;
using System.IO.Compression;
using System.Net;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using ImageCache.Contracts;

namespace ImageCache.Samples.HttpTarball;

/// <summary>
/// Downloads a root filesystem tarball into the host's blob store and describes it as an OCI image: the tarball is
/// the one layer (stored as downloaded: plain, gzip or zstd), plus a synthesised config and manifest.
/// </summary>
public sealed class TarballImporter : IDisposable
{
    const string ManifestMediaType = "application/vnd.oci.image.manifest.v1+json";
    const string ConfigMediaType = "application/vnd.oci.image.config.v1+json";
    const string LayerMediaType = "application/vnd.oci.image.layer.v1.tar";

    readonly HttpClient client = new(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None }) { Timeout = Timeout.InfiniteTimeSpan };
    readonly Lazy<HttpClient> insecureClient = new(() => new HttpClient(new SocketsHttpHandler
    {
        AutomaticDecompression = DecompressionMethods.None,
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
    }) { Timeout = Timeout.InfiniteTimeSpan });

    /// <summary>Fetches <see cref="FetchRequest.Location"/> of <paramref name="transport"/> (<c>http</c> or <c>https</c>).</summary>
    /// <exception cref="ImageSourceException">Bad URL, unreachable server, size cap exceeded, digest mismatch, not a tar.</exception>
    public async Task<FetchedImage> ImportAsync(string transport, FetchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var location = TarballLocation.Parse(transport, request.Location);
        var blobs = request.Blobs;

        // A pinned tarball already in the store is not downloaded again.
        var layerDigest = location.PinnedSha256 is { } pinned ? "sha256:" + pinned : null;
        if (layerDigest is null || !blobs.Contains(layerDigest))
        {
            var http = request.Insecure ? insecureClient.Value : client;
            await using var download = await ResumingDownloadStream.OpenAsync(http, location.Url, location.MaxBytes, request.Progress,
                layerDigest ?? location.Url.AbsolutePath, cancellationToken).ConfigureAwait(false);
            try
            {
                layerDigest = await blobs.PutAsync(download, layerDigest, download.AnnouncedLength, cancellationToken).ConfigureAwait(false);
            }
            catch (ImageSourceException e) when (location.PinnedSha256 is not null)
            {
                throw new ImageSourceException($"{location.Url} does not match its pinned #sha256: {e.Message}", e);
            }
        }
        else
        {
            request.Progress?.Report(new TransferProgress(layerDigest, 0, null, Reused: true));
        }

        var (diffId, compression, layerSize) = await InspectLayerAsync(blobs, layerDigest, location, cancellationToken).ConfigureAwait(false);
        var platform = request.Platform ?? new PlatformSpec("linux", HostArchitecture());
        var config = Json(w =>
        {
            w.WriteString("architecture", platform.Architecture);
            w.WriteString("os", platform.Os);
            if (platform.Variant.Length > 0) w.WriteString("variant", platform.Variant);
            w.WriteStartObject("config");
            w.WriteEndObject();
            w.WriteStartObject("rootfs");
            w.WriteString("type", "layers");
            w.WriteStartArray("diff_ids");
            w.WriteStringValue(diffId);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartArray("history");
            w.WriteStartObject();
            w.WriteString("created_by", $"imagecache http tarball fetcher: {location.Url}");
            w.WriteEndObject();
            w.WriteEndArray();
        });
        var configDigest = await PutAsync(blobs, config, cancellationToken).ConfigureAwait(false);
        var layerMediaType = LayerMediaType + compression;
        var manifest = Json(w =>
        {
            w.WriteNumber("schemaVersion", 2);
            w.WriteString("mediaType", ManifestMediaType);
            Descriptor(w, "config", ConfigMediaType, configDigest, config.Length);
            w.WriteStartArray("layers");
            Descriptor(w, null, layerMediaType, layerDigest, layerSize);
            w.WriteEndArray();
        });
        var manifestDigest = await PutAsync(blobs, manifest, cancellationToken).ConfigureAwait(false);
        return new FetchedImage($"{location.Url}#sha256={layerDigest["sha256:".Length..]}", manifestDigest, null, platform, configDigest,
            [new LayerDescriptor(layerDigest, layerMediaType, layerSize, diffId)]);
    }

    /// <summary>Decompresses the stored layer once: its diff_id, its compression suffix and its size; refuses what is not a tar.</summary>
    static async Task<(string DiffId, string Compression, long Size)> InspectLayerAsync(IBlobStore blobs, string digest, TarballLocation location,
        CancellationToken cancellationToken)
    {
        await using var raw = blobs.OpenRead(digest);
        var size = raw.Length;
        var magic = new byte[4];
        var got = await raw.ReadAtLeastAsync(magic, magic.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        raw.Seek(0, SeekOrigin.Begin);
        var (compression, expanded) = got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b
            ? ("+gzip", (Stream)new GZipStream(raw, CompressionMode.Decompress, leaveOpen: true))
            : got == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd
                ? ("+zstd", new ZstdSharp.DecompressionStream(raw, leaveOpen: true))
                : ("", raw);
        await using var _ = expanded;

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            long total = 0;
            var header = new byte[512];
            var headerBytes = 0;
            int read;
            while ((read = await ReadAsync(expanded, buffer, location.Url, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (headerBytes < header.Length)
                {
                    var take = Math.Min(read, header.Length - headerBytes);
                    buffer.AsSpan(0, take).CopyTo(header.AsSpan(headerBytes));
                    headerBytes += take;
                }
                total += read;
                if (total > location.MaxExpandedBytes)
                    throw new ImageSourceException($"{location.Url} expands to more than the cap of {location.MaxExpandedBytes} bytes (raise it with #max-expanded-bytes=N)");
                sha.AppendData(buffer, 0, read);
            }
            // A POSIX tar header has "ustar" at offset 257 (ustar, PAX and GNU archives alike).
            if (headerBytes < header.Length || !header.AsSpan(257, 5).SequenceEqual("ustar"u8))
                throw new ImageSourceException($"{location.Url} is not a tar archive (plain, gzip or zstd)");
            return ("sha256:" + Convert.ToHexStringLower(sha.GetHashAndReset()), compression, size);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    static async Task<int> ReadAsync(Stream stream, byte[] buffer, Uri url, CancellationToken cancellationToken)
    {
        try
        {
            return await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidDataException or ZstdSharp.ZstdException)
        {
            throw new ImageSourceException($"{url} is corrupt: {e.Message}", e);
        }
    }

    static async Task<string> PutAsync(IBlobStore blobs, byte[] bytes, CancellationToken cancellationToken)
    {
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
        using var content = new MemoryStream(bytes, writable: false);
        return await blobs.PutAsync(content, digest, bytes.Length, cancellationToken).ConfigureAwait(false);
    }

    static byte[] Json(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    static void Descriptor(Utf8JsonWriter writer, string? property, string mediaType, string digest, long size)
    {
        if (property is null) writer.WriteStartObject();
        else writer.WriteStartObject(property);
        writer.WriteString("mediaType", mediaType);
        writer.WriteString("digest", digest);
        writer.WriteNumber("size", size);
        writer.WriteEndObject();
    }

    static string HostArchitecture() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.X86 => "386",
        Architecture.Arm => "arm",
        var other => other.ToString().ToLowerInvariant(),
    };

    /// <inheritdoc />
    public void Dispose()
    {
        client.Dispose();
        if (insecureClient.IsValueCreated) insecureClient.Value.Dispose();
    }
}
