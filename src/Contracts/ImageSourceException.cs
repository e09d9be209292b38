namespace ImageCache.Contracts;

/// <summary>A fetcher's expected failure; its message is one line fit for the user (no credentials).</summary>
public sealed class ImageSourceException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ImageSourceException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public ImageSourceException(string message, Exception innerException) : base(message, innerException) { }
}
