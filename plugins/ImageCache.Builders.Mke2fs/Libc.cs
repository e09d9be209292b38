using System.Runtime.InteropServices;

namespace ImageCache.Builders.Mke2fs;

/// <summary>The two syscalls .NET has no API for: <c>mkdir</c> that fails on anything existing (even a symlink) and <c>link</c>.</summary>
internal static partial class Libc
{
    [LibraryImport("libc", EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkdirNative(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LinkNative(string existing, string created);

    /// <summary>mkdir(2): never follows a symlink in the last component (EEXIST instead).</summary>
    public static void Mkdir(string path, uint mode)
    {
        if (MkdirNative(path, mode) != 0) throw new IOException($"mkdir {path}: {Marshal.GetLastPInvokeErrorMessage()}");
    }

    /// <summary>link(2): does not follow a symlink named by <paramref name="existing"/> (Linux semantics).</summary>
    public static void Link(string existing, string created)
    {
        if (LinkNative(existing, created) != 0) throw new IOException($"link {created} → {existing}: {Marshal.GetLastPInvokeErrorMessage()}");
    }
}
