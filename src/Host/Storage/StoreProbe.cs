using ImageCache.Core;
using LanguageExt;
using LanguageExt.ClassInstances;

namespace ImageCache.Host.Storage;

/// <summary>Gathers the file-system facts Remove and Prune decide on, and performs the delete effects safely.</summary>
public static class StoreProbe
{
    /// <summary>
    /// The absolute path of <paramref name="path"/> with its parent directory's symlinks resolved (the last
    /// component is not followed), when it lies inside the store of <paramref name="layout"/>; otherwise null.
    /// The seed's <c>CanonicalRootfsStorePath</c>.
    /// </summary>
    public static string? CanonicalRootfsStorePath(StateLayout layout, string path)
    {
        var store = Libc.RealPath(layout.RootfsDir);
        if (store is null || string.IsNullOrWhiteSpace(path)) return null;
        var resolved = ResolveParent(path);
        return resolved is not null && StoreRules.IsInsideStore(store, resolved) ? resolved : null;
    }

    /// <summary>True when <paramref name="path"/> lies inside the baseline store (the seed's <c>PathInRootfsStore</c>).</summary>
    public static bool PathInRootfsStore(StateLayout layout, string path) => CanonicalRootfsStorePath(layout, path) is not null;

    /// <summary>Facts for every record's output path and, when <paramref name="listStore"/> (prune's orphan collection needs it), the files now in the store.</summary>
    public static StoreFacts Gather(StateLayout layout, ImageIndex index, bool listStore = true)
    {
        var store = Libc.RealPath(layout.RootfsDir) ?? "";
        var files = Map<OrdStringOrdinal, string, FileFact>.Empty;
        foreach (var path in index.Images.Map(r => r.OutputPath).Filter(p => p.Length > 0).Distinct())
        {
            var resolved = ResolveParent(path) ?? "";
            files = files.AddOrUpdate(path, new FileFact(resolved, Exists(path)));
        }
        var storeFiles = store.Length == 0 || !listStore
            ? Seq<string>.Empty
            : Directory.EnumerateFiles(store, "*", new EnumerationOptions
            {
                RecurseSubdirectories = true,
                AttributesToSkip = FileAttributes.ReparsePoint, // never walk (or list) through a symlink
                IgnoreInaccessible = true,
            }).ToArray().ToSeq().Strict();
        return new StoreFacts(store, files, storeFiles);
    }

    /// <summary>
    /// Deletes a store file named by a <see cref="IndexEffect.DeleteFile"/> effect, after checking again that its
    /// parent still resolves inside the store (a symlink planted since the facts were gathered is never followed).
    /// Returns false when the file was already gone.
    /// </summary>
    public static bool DeleteStoreFile(StateLayout layout, string resolvedPath)
    {
        if (CanonicalRootfsStorePath(layout, resolvedPath) != resolvedPath)
            throw new ImageCacheException(HostErrorCodes.StateNotWritable, $"refusing to delete {resolvedPath}: it is no longer inside the store");
        if (!Exists(resolvedPath)) return false;
        File.Delete(resolvedPath); // unlink: a symlink itself is removed, never its target
        return true;
    }

    static string? ResolveParent(string path)
    {
        var full = Path.GetFullPath(path);
        var parent = Path.GetDirectoryName(full);
        var name = Path.GetFileName(full);
        if (parent is null || name.Length == 0) return null;
        var resolvedParent = Libc.RealPath(parent);
        return resolvedParent is null ? null : Path.Combine(resolvedParent, name);
    }

    // lstat semantics: a symlink counts as present even when its target is not.
    static bool Exists(string path)
    {
        var info = new FileInfo(path);
        return info.Exists || info.LinkTarget is not null;
    }
}
