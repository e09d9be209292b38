using System;
using System.Diagnostics.Contracts;

namespace ImageCache.Core;

/// <summary>
/// Which paths are inside the baseline store. The Host resolves symlinks in the store directory and in each
/// file's parent directory (never the file itself) and hands the resolved, absolute, <c>/</c>-separated paths here.
/// </summary>
public static class StoreRules
{
    /// <summary>
    /// True when <paramref name="resolvedPath"/> lies strictly below <paramref name="resolvedStoreDir"/>
    /// (not the store itself, no <c>..</c> segment).
    /// </summary>
    [Pure]
    public static bool IsInsideStore(string resolvedStoreDir, string resolvedPath)
    {
        if (resolvedStoreDir.Length == 0 || resolvedPath.Length == 0) return false;
        if (!resolvedStoreDir.StartsWith('/') || !resolvedPath.StartsWith('/')) return false;
        var root = resolvedStoreDir.TrimEnd('/') + "/";
        if (!resolvedPath.StartsWith(root, StringComparison.Ordinal) || resolvedPath.Length == root.Length) return false;
        foreach (var segment in resolvedPath[root.Length..].Split('/'))
            if (segment is "" or "." or "..") return false;
        return true;
    }
}
