namespace ImageCache.Host.Plugins;

/// <summary>A fetcher a plugin provides, as declared by its <c>[Fetcher]</c> attribute.</summary>
/// <param name="Transport">The transport key, e.g. <c>oci</c> for <c>oci:DIR</c>.</param>
/// <param name="Description">One line for <c>imagecache plugins</c>.</param>
/// <param name="PluginName">The plugin (folder and assembly name) that provides it.</param>
public sealed record FetcherDescriptor(string Transport, string Description, string PluginName);
