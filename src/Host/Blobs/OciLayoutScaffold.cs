using System.Text;
using ImageCache.Host.Storage;

namespace ImageCache.Host.Blobs;

/// <summary>Creates the OCI image layout skeleton (image-layout.md): <c>oci-layout</c>, an empty <c>index.json</c>, <c>blobs/</c>.</summary>
internal static class OciLayoutScaffold
{
    public const string LayoutFileName = "oci-layout";
    public const string IndexFileName = "index.json";
    public const string LayoutJson = "{\"imageLayoutVersion\":\"1.0.0\"}";
    public const string EmptyIndexJson = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}";

    /// <summary>Makes sure the skeleton exists; never overwrites an existing file. Safe against concurrent callers in any process.</summary>
    public static void Ensure(string layoutDir)
    {
        Directory.CreateDirectory(layoutDir, IndexStore.DirectoryMode);
        Directory.CreateDirectory(Path.Combine(layoutDir, "blobs"), IndexStore.DirectoryMode);
        Directory.CreateDirectory(Path.Combine(layoutDir, "blobs", OciDigest.DefaultAlgorithm), IndexStore.DirectoryMode);
        var created = CreateIfMissing(layoutDir, LayoutFileName, LayoutJson + "\n");
        created |= CreateIfMissing(layoutDir, IndexFileName, EmptyIndexJson + "\n");
        if (created) Libc.FsyncDirectory(layoutDir);
    }

    static bool CreateIfMissing(string layoutDir, string name, string content)
    {
        var target = Path.Combine(layoutDir, name);
        if (File.Exists(target)) return false;
        var temp = Path.Combine(layoutDir, $".{name}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            WriteDurably(temp, Encoding.UTF8.GetBytes(content));
            try { File.Move(temp, target, overwrite: false); return true; }
            catch (IOException) when (File.Exists(target)) { return false; } // another writer won the race
        }
        finally { TryDelete(temp); }
    }

    /// <summary>Writes a new 0600 file and flushes it to disk.</summary>
    public static void WriteDurably(string path, ReadOnlySpan<byte> bytes)
    {
        using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = IndexStore.FileMode600,
        });
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    public static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
