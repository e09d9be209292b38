using System.Security.Cryptography;
using ImageCache.Core;
using ImageCache.Host.Operations;
using ImageCache.Host.Storage;
using LanguageExt;
using static LanguageExt.Prelude;

namespace ImageCache.Host.Tests.Storage;

/// <summary>
/// A fresh temporary directory per test: the state directory is <c>&lt;sandbox&gt;/state</c> (not created until the
/// code under test creates it), and anything "outside the store" lives elsewhere in the sandbox. Deleted on dispose.
/// </summary>
internal sealed class StorageSandbox : IDisposable
{
    public StorageSandbox()
    {
        Root = Directory.CreateTempSubdirectory("imagecache-storage-").FullName;
        // Compare against resolved paths: the store probe resolves symlinks (e.g. a symlinked /tmp).
        Root = new DirectoryInfo(Root).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Root;
        State = Path.Combine(Root, "state");
        Layout = StateLayout.For(State);
    }

    /// <summary>The sandbox directory.</summary>
    public string Root { get; }

    /// <summary>The state directory.</summary>
    public string State { get; }

    public StateLayout Layout { get; }

    public IndexStore Store => new(Layout);

    public ImageCacheClient Client(TimeProvider? time = null) =>
        new(new ImageCacheOptions { StateDir = State, Time = time ?? TimeProvider.System });

    /// <summary>Writes <paramref name="json"/> as <c>images/index.json</c> verbatim (the way the original would have left it).</summary>
    public void WriteRawIndex(string json)
    {
        Directory.CreateDirectory(Layout.ImagesDir);
        File.WriteAllText(Layout.IndexFile, json);
    }

    /// <summary>Creates a file under the baseline store and returns its absolute path.</summary>
    public string StoreFile(string relativePath, byte[]? content = null) =>
        WriteFile(Path.Combine(Layout.RootfsDir, relativePath), content);

    /// <summary>Creates a file anywhere in the sandbox and returns its absolute path.</summary>
    public string WriteFile(string path, byte[]? content = null)
    {
        var full = Path.GetFullPath(path, Root);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, content ?? Content(full));
        return full;
    }

    /// <summary>Some distinct bytes for a file (a few KiB, derived from its path).</summary>
    public static byte[] Content(string seed)
    {
        var block = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(seed));
        var bytes = new byte[4096];
        for (var i = 0; i < bytes.Length; i++) bytes[i] = block[i % block.Length];
        return bytes;
    }

    /// <summary>Names of the files directly in the images directory (index, backup, lock, temp files).</summary>
    public string[] ImagesDirEntries() =>
        Directory.Exists(Layout.ImagesDir)
            ? Directory.EnumerateFileSystemEntries(Layout.ImagesDir).Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal).ToArray()
            : System.Array.Empty<string>();

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }

    /// <summary>A record as the original wrote it for a pulled image.</summary>
    public static ImageRecord Record(string imageRef, string digest, string outputPath, string architecture = "amd64") => new()
    {
        ImageRef = imageRef,
        ResolvedRef = $"docker.io/library/{imageRef.Split(':')[0]}@{digest}",
        Digest = digest,
        Platform = new Platform("linux", architecture),
        OutputPath = outputPath,
        SizeBytes = File.Exists(outputPath) ? new FileInfo(outputPath).Length : 0,
        LastUsedAt = Some(new DateTimeOffset(2026, 6, 20, 9, 14, 3, TimeSpan.Zero)),
    };

    /// <summary>Writes an index holding <paramref name="records"/> through the store.</summary>
    public void WriteIndex(params ImageRecord[] records) => Store.Write(new ImageIndex(records.ToSeq().Strict()).Sorted());

    public static string Sha(char c) => "sha256:" + new string(c, 64);

    public static string[] Refs(Seq<ImageRecord> records) => records.Map(r => r.ImageRef).OrderBy(r => r, StringComparer.Ordinal).ToArray();
}
