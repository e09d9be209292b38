namespace ImageCache.Host;

/// <summary>An expected failure of an operation: its message is one line fit for the user; <see cref="Code"/> is stable.</summary>
public sealed class ImageCacheException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ImageCacheException(int code, string message, Exception? inner = null) : base(message, inner) => Code = code;

    /// <summary>A stable error code (<see cref="Core.ErrorCodes"/>, or <see cref="HostErrorCodes"/>).</summary>
    public int Code { get; }

    /// <summary>Turns a core error into the exception thrown by operations.</summary>
    public static ImageCacheException From(LanguageExt.Common.Error error) => new(error.Code, error.Message);
}
