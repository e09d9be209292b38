using System.Runtime.InteropServices;
using System.Text;

namespace ImageCache.Sources.Tests;

/// <summary>libc calls the tests use to make and observe trees: binary xattrs, lstat owners and times.</summary>
internal static partial class Native
{
    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint Geteuid();

    [LibraryImport("libc", EntryPoint = "lsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Lsetxattr(string path, string name, byte* value, nuint size, int flags);

    [LibraryImport("libc", EntryPoint = "llistxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial nint Llistxattr(string path, byte* list, nuint size);

    [LibraryImport("libc", EntryPoint = "lgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial nint Lgetxattr(string path, string name, byte* value, nuint size);

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Lchown(string path, int uid, int gid);

    public static unsafe void SetXattr(string path, string name, byte[] value)
    {
        fixed (byte* p = value)
        {
            if (Lsetxattr(path, name, p, (nuint)value.Length, 0) != 0)
                throw new IOException($"lsetxattr {path} {name}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
    }

    /// <summary>name=hex pairs, sorted; empty when the filesystem has none.</summary>
    public static unsafe string Xattrs(string path)
    {
        var size = Llistxattr(path, null, 0);
        if (size <= 0) return "";
        var list = new byte[size];
        fixed (byte* p = list) size = Llistxattr(path, p, (nuint)list.Length);
        var names = Encoding.UTF8.GetString(list, 0, (int)size).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        var pairs = new List<string>();
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            var length = Lgetxattr(path, name, null, 0);
            var value = new byte[Math.Max(0, length)];
            fixed (byte* v = value) length = Lgetxattr(path, name, v, (nuint)value.Length);
            pairs.Add($"{name}={Convert.ToHexStringLower(value.AsSpan(0, (int)Math.Max(0, length)))}");
        }
        return string.Join(',', pairs);
    }
}
