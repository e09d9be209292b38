namespace ImageCache.Host.Storage;

/// <summary>Where everything lives under a state directory (DESIGN §3).</summary>
/// <param name="Root">The state directory, absolute.</param>
public sealed record StateLayout(string Root)
{
    /// <summary>The index directory: <c>images/</c>.</summary>
    public string ImagesDir => Path.Combine(Root, "images");
    /// <summary><c>images/index.json</c>.</summary>
    public string IndexFile => Path.Combine(ImagesDir, "index.json");
    /// <summary><c>images/index.json.bak</c>: the previous good index.</summary>
    public string IndexBackupFile => IndexFile + ".bak";
    /// <summary><c>images/index.json.lock</c>.</summary>
    public string IndexLockFile => IndexFile + ".lock";
    /// <summary><c>images/rootfs/</c>: sealed baselines.</summary>
    public string RootfsDir => Path.Combine(ImagesDir, "rootfs");
    /// <summary><c>oci/</c>: the blob store, an OCI image layout.</summary>
    public string OciDir => Path.Combine(Root, "oci");

    /// <summary>
    /// <c>oci/blobs.lock</c>: pulls hold it shared from the first blob they store until their record is written;
    /// <c>prune</c>'s blob collection takes it exclusive, so it never deletes a blob an unrecorded pull still needs.
    /// </summary>
    public string BlobsLockFile => Path.Combine(OciDir, "blobs.lock");
    /// <summary><c>tmp/</c>: in-flight work.</summary>
    public string TmpDir => Path.Combine(Root, "tmp");
    /// <summary><c>locks/</c>: one build lock per content key (<see cref="BuildLockFile"/>).</summary>
    public string LocksDir => Path.Combine(Root, "locks");

    /// <summary>
    /// <c>locks/build-&lt;key&gt;.lock</c>: held while a pull builds the baseline of a content key, so two processes
    /// pulling the same content build it once (the second waits, then reuses it). Never deleted: unlinking a lock file
    /// another process is waiting on would let a third lock a fresh inode beside it.
    /// </summary>
    public string BuildLockFile(string contentKey) => Path.Combine(LocksDir, $"build-{contentKey}.lock");

    /// <summary><c>plugins/</c>: plugins installed for this state directory.</summary>
    public string PluginsDir => Path.Combine(Root, "plugins");

    /// <summary><c>cache/plugins.json</c>: which plugin folder provides which transport and builder, so a command loads only the plugins it uses.</summary>
    public string PluginCacheFile => Path.Combine(Root, "cache", "plugins.json");

    /// <summary>The default state directory: <c>$IMAGECACHE_STATE_DIR</c>, else <c>~/.imagecache</c>.</summary>
    public static string DefaultRoot()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("IMAGECACHE_STATE_DIR");
        if (!string.IsNullOrWhiteSpace(fromEnvironment)) return Path.GetFullPath(fromEnvironment);
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (string.IsNullOrEmpty(home)) home = Path.GetTempPath();
        return Path.Combine(home, ".imagecache");
    }

    /// <summary>A layout for <paramref name="stateDir"/>, or the default when null or empty.</summary>
    public static StateLayout For(string? stateDir) =>
        new(Path.GetFullPath(string.IsNullOrWhiteSpace(stateDir) ? DefaultRoot() : stateDir));

    /// <summary>The baseline path for a content key: <c>images/rootfs/&lt;key&gt;.&lt;ext&gt;</c>.</summary>
    public string RootfsPath(string contentKey, string extension) => Path.Combine(RootfsDir, Core.ContentKey.FileName(contentKey, extension));
}
