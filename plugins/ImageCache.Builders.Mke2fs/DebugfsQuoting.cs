using ImageCache.Contracts;

namespace ImageCache.Builders.Mke2fs;

/// <summary>
/// Quotes one debugfs argument (origin-behaviour §4.11.8): wrapped in double quotes, a double quote doubled. debugfs
/// (libss) has no backslash escapes, so a backslash is an ordinary character: systemd's <c>\x2d</c> names survive.
/// A NUL or any control character (a newline would end the command) cannot be passed and is refused.
/// </summary>
internal static class DebugfsQuoting
{
    public static string Quote(string argument)
    {
        if (argument.Length == 0) throw new FilesystemBuildException("mke2fs: an empty name cannot be passed to debugfs.");
        foreach (var c in argument)
            if (char.IsControl(c))
                throw new FilesystemBuildException($"mke2fs: the name '{argument.Replace("\n", "\\n", StringComparison.Ordinal)}' contains a control character (U+{(int)c:X4}), which debugfs cannot be given; use the ext4 or squashfs builder for this image.");
        return "\"" + argument.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>The absolute image path of an entry path, quoted.</summary>
    public static string QuotePath(string imagePath) => Quote("/" + imagePath);
}
