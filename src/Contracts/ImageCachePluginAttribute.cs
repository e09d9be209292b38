namespace ImageCache.Contracts;

/// <summary>Marks an assembly as an ImageCache plugin and states the contract version it was built against.</summary>
/// <param name="contractVersion">Always pass <see cref="PluginContract.Version"/>.</param>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class ImageCachePluginAttribute(int contractVersion) : Attribute
{
    /// <summary>The contract version the plugin was compiled against.</summary>
    public int ContractVersion { get; } = contractVersion;
}
