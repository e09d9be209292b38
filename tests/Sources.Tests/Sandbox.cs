using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using ImageCache.Core;
using ImageCache.Host.Operations;

namespace ImageCache.Sources.Tests;

/// <summary>A temp directory holding a state directory and the test's inputs; deleted on dispose.</summary>
internal sealed class Sandbox : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("imagecache-sources-tests-").FullName;

    public string State => Path.Combine(Root, "state");

    public string OciDir => Path.Combine(State, "oci");

    public string Sub(string name) => Path.Combine(Root, name);

    public ImageCacheClient Client() => new(new ImageCacheOptions { StateDir = State });

    static string PluginsDir => Path.Combine(AppContext.BaseDirectory, "published-plugins");

    public Task<ImageRecord> PullAsync(string source) =>
        Client().PullAsync(new PullRequest(source, Platform: "linux/amd64", PluginDirectories: [PluginsDir]));

    public void Dispose()
    {
        // Blobs are 0444 and some test trees hold read-only directories: make everything writable, then delete.
        foreach (var dir in Directory.EnumerateDirectories(Root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
        {
            try { File.SetUnixFileMode(dir, (UnixFileMode)0x1C0); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        Directory.Delete(Root, recursive: true);
    }

    public static string Sha(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
}

/// <summary>
/// A two-layer OCI image layout written by the test itself (tagged <c>v1</c>): layer 1 (gzip) has directories, files
/// with owners and modes, a hard link, a symlink, a FIFO and a file later whited out; layer 2 (plain tar) has the
/// whiteout and a file with an xattr.
/// </summary>
internal static class TestImage
{
    static readonly DateTimeOffset Time = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    public static string WriteLayout(string dir)
    {
        Directory.CreateDirectory(Path.Combine(dir, "blobs", "sha256"));
        System.IO.File.WriteAllText(Path.Combine(dir, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        var layer1 = Tar(w =>
        {
            Dir(w, "etc/");
            Dir(w, "bin/");
            Dir(w, "run/");
            File(w, "etc/hello", "hello\n", 0x1A4, 0, 0);
            File(w, "etc/gone", "to be whited out\n", 0x1A4, 0, 0);
            File(w, "bin/tool", "#!/bin/sh\necho tool\n", 0x1ED, 1000, 1000);
            w.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "bin/tool-link") { LinkName = "bin/tool", ModificationTime = Time, Mode = (UnixFileMode)0x1ED, Uid = 1000, Gid = 1000 });
            w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/sh") { LinkName = "tool", ModificationTime = Time, Mode = (UnixFileMode)0x1FF });
            w.WriteEntry(new PaxTarEntry(TarEntryType.Fifo, "run/fifo") { ModificationTime = Time, Mode = (UnixFileMode)0x180 });
        });
        var layer2 = Tar(w =>
        {
            Dir(w, "etc/");
            File(w, "etc/.wh.gone", "", 0x1A4, 0, 0);
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "etc/new", new Dictionary<string, string> { ["SCHILY.xattr.user.note"] = "kept" })
            {
                ModificationTime = Time, Mode = (UnixFileMode)0x1A4, DataStream = new MemoryStream(Encoding.UTF8.GetBytes("new\n")),
            };
            w.WriteEntry(entry);
        });
        var gz = Gzip(layer1);
        var config = Encoding.UTF8.GetBytes(
            $$$"""{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"]},"rootfs":{"type":"layers","diff_ids":["{{{Sandbox.Sha(layer1)}}}","{{{Sandbox.Sha(layer2)}}}"]}}""");
        var manifest = Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{Blob(dir, config)}}","size":{{config.Length}}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{{Blob(dir, gz)}}","size":{{gz.Length}}},{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{{Blob(dir, layer2)}}","size":{{layer2.Length}}}]}""");
        var manifestDigest = Blob(dir, manifest);
        System.IO.File.WriteAllText(Path.Combine(dir, "index.json"),
            $$$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{manifestDigest}}}","size":{{{manifest.Length}}},"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}""");
        return manifestDigest;
    }

    static string Blob(string dir, byte[] bytes)
    {
        var digest = Sandbox.Sha(bytes);
        System.IO.File.WriteAllBytes(Path.Combine(dir, "blobs", "sha256", digest[7..]), bytes);
        return digest;
    }

    static byte[] Tar(Action<TarWriter> write)
    {
        var output = new MemoryStream();
        using (var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true)) write(writer);
        return output.ToArray();
    }

    static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    static void Dir(TarWriter w, string name) =>
        w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name) { ModificationTime = Time, Mode = (UnixFileMode)0x1ED });

    static void File(TarWriter w, string name, string content, int mode, int uid, int gid) =>
        w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            ModificationTime = Time, Mode = (UnixFileMode)mode, Uid = uid, Gid = gid, DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
        });
}
