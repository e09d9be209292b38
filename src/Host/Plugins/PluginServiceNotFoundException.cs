namespace ImageCache.Host.Plugins;

/// <summary>No loaded plugin provides the requested transport or builder; the message lists the known ones.</summary>
public sealed class PluginServiceNotFoundException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PluginServiceNotFoundException(string message) : base(message) { }
}
