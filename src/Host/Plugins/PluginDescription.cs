namespace ImageCache.Host.Plugins;

/// <summary>
/// What inspecting one plugin folder found, kept in the plugin cache so that later processes know which plugin serves
/// which transport and builder without loading any of them (<see cref="PluginCatalog.Open"/>).
/// </summary>
/// <param name="Folder">The plugin folder, absolute.</param>
/// <param name="Fingerprint">The folder's files, sizes and modification times (<see cref="PluginFingerprint"/>).</param>
/// <param name="AssemblyPath">The plugin's main assembly.</param>
/// <param name="Refusal">Skipped or failed when inspection refused the plugin on its own; null when it validated.</param>
/// <param name="Reason">Why it was refused (null when it validated).</param>
/// <param name="EntryPoints">The full names of its <c>IImageCachePlugin</c> classes, called to register its services.</param>
/// <param name="Fetchers">Its fetchers and the full names of their classes.</param>
/// <param name="Builders">Its builders and the full names of their classes.</param>
/// <param name="ArtifactRegistries">The keys of the <c>IArtifactRegistry</c> services its entry points register.</param>
internal sealed record PluginDescription(
    string Folder,
    string Fingerprint,
    string AssemblyPath,
    PluginLoadStatus? Refusal,
    string? Reason,
    IReadOnlyList<string> EntryPoints,
    IReadOnlyList<(FetcherDescriptor Fetcher, string TypeName)> Fetchers,
    IReadOnlyList<(BuilderDescriptor Builder, string TypeName)> Builders,
    IReadOnlyList<string> ArtifactRegistries)
{
    public static PluginDescription Refused(string folder, string fingerprint, string assemblyPath, PluginLoadStatus status, string reason) =>
        new(folder, fingerprint, assemblyPath, status, reason, [], [], [], []);
}
