namespace ImageCache.Core;

/// <summary>Stable numeric codes of the core's expected errors (scripts may switch on them).</summary>
public static class ErrorCodes
{
    /// <summary>A reference, digest, platform or name that does not parse.</summary>
    public const int InvalidReference = 1001;
    /// <summary>A digest that does not parse.</summary>
    public const int InvalidDigest = 1002;
    /// <summary>A platform that does not parse.</summary>
    public const int InvalidPlatform = 1003;
    /// <summary>An argument that is required was empty.</summary>
    public const int MissingArgument = 1004;
    /// <summary>No record matches the reference.</summary>
    public const int ImageNotFound = 1101;
    /// <summary>A digest prefix matches records of more than one digest.</summary>
    public const int AmbiguousReference = 1102;
    /// <summary>A tag target that cannot name an image.</summary>
    public const int InvalidTagTarget = 1103;
    /// <summary>A retention policy that makes no sense.</summary>
    public const int InvalidPolicy = 1104;
    /// <summary>No builder can run here, or the requested one cannot.</summary>
    public const int NoBuilder = 1201;
    /// <summary>A layer entry name that is empty, absolute, escapes the root, contains NUL or has a component over 255 bytes.</summary>
    public const int InvalidLayerPath = 1301;
    /// <summary>A layer entry that cannot be applied (writes through a symlink or file, a bad hard link or whiteout).</summary>
    public const int LayerEntryRefused = 1302;
}
