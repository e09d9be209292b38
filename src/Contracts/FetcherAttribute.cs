namespace ImageCache.Contracts;

/// <summary>Declares a class implementing <see cref="IImageFetcher"/> and the transport it serves.</summary>
/// <param name="transport">The transport prefix without the colon, e.g. <c>oci</c> for <c>oci:DIR</c>; lowercase letters, digits and <c>-</c>.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class FetcherAttribute(string transport) : Attribute
{
    /// <summary>The transport key.</summary>
    public string Transport { get; } = transport;

    /// <summary>A one-line description shown by <c>imagecache plugins</c>.</summary>
    public string Description { get; init; } = "";
}
