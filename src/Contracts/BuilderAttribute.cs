namespace ImageCache.Contracts;

/// <summary>Declares a class implementing <see cref="IFilesystemBuilder"/>, its name and what it needs to run.</summary>
/// <param name="name">The builder key used by <c>--builder</c>; lowercase letters, digits and <c>-</c>.</param>
/// <param name="format">The filesystem format it writes, e.g. <c>ext4</c> or <c>squashfs</c>.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class BuilderAttribute(string name, string format) : Attribute
{
    /// <summary>The builder key.</summary>
    public string Name { get; } = name;

    /// <summary>The filesystem format written.</summary>
    public string Format { get; } = format;

    /// <summary>The file name of the output's extension, without the dot (defaults to the format).</summary>
    public string? Extension { get; init; }

    /// <summary>External programs that must be on <c>PATH</c>, e.g. <c>mke2fs</c>.</summary>
    public string[] RequiredTools { get; init; } = [];

    /// <summary>Host operating systems it runs on (<c>linux</c>, <c>osx</c>, <c>windows</c>); empty means any.</summary>
    public string[] HostOperatingSystems { get; init; } = [];

    /// <summary>A one-line description shown by <c>imagecache plugins</c>.</summary>
    public string Description { get; init; } = "";
}
