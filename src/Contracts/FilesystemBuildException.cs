namespace ImageCache.Contracts;

/// <summary>A builder's expected failure; its message is one line fit for the user.</summary>
public sealed class FilesystemBuildException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FilesystemBuildException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public FilesystemBuildException(string message, Exception innerException) : base(message, innerException) { }
}
