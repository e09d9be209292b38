namespace ImageCache.Host.Plugins;

/// <summary>A builder a plugin provides, as declared by its <c>[Builder]</c> attribute.</summary>
/// <param name="Name">The builder key used by <c>--builder</c>.</param>
/// <param name="Format">The filesystem format it writes, e.g. <c>ext4</c>.</param>
/// <param name="Extension">The output file's extension without the dot.</param>
/// <param name="RequiredTools">Programs that must be on <c>PATH</c>.</param>
/// <param name="HostOperatingSystems">Host operating systems it runs on; empty means any.</param>
/// <param name="Description">One line for <c>imagecache plugins</c>.</param>
/// <param name="PluginName">The plugin (folder and assembly name) that provides it.</param>
public sealed record BuilderDescriptor(
    string Name,
    string Format,
    string Extension,
    IReadOnlyList<string> RequiredTools,
    IReadOnlyList<string> HostOperatingSystems,
    string Description,
    string PluginName);
