using System;
using System.Collections.Generic;
using System.Diagnostics.Contracts;
using System.Text;
using LanguageExt;

namespace ImageCache.Core.Layers;

/// <summary>
/// How tar entry names become tree paths (oci-rules §3.6 "practical extras"). A normalised path is relative to
/// the image root, <c>/</c>-separated, with no empty, <c>.</c> or <c>..</c> component and no trailing slash;
/// the root itself is <see cref="Root"/>.
/// </summary>
public static class PathRules
{
    /// <summary>The normalised path of the image root (what <c>./</c> and <c>.</c> become).</summary>
    public const string Root = ".";

    /// <summary>The longest component a Linux filesystem accepts, in UTF-8 bytes (NAME_MAX).</summary>
    public const int MaxComponentBytes = 255;

    /// <summary>
    /// Cleans a raw tar name: drops <c>./</c> prefixes, <c>.</c> components, repeated and trailing slashes. Refused:
    /// an empty name, a NUL, an absolute name (leading <c>/</c>: tar producers strip it, so one that keeps it is
    /// suspect), any <c>..</c> component (even one that stays inside the root: no producer needs it and
    /// refusing all of them leaves no escape to reason about), and a component longer than 255 UTF-8 bytes.
    /// </summary>
    [Pure]
    public static Fin<string> Normalize(string rawName)
    {
        if (string.IsNullOrEmpty(rawName)) return CoreErrors.InvalidLayerPath(rawName ?? "", "empty name");
        if (rawName.Contains('\0')) return CoreErrors.InvalidLayerPath(rawName, "contains a NUL character");
        if (rawName[0] == '/') return CoreErrors.InvalidLayerPath(rawName, "absolute names are refused");
        var kept = new List<string>();
        foreach (var component in rawName.Split('/'))
        {
            if (component is "" or ".") continue;
            if (component == "..") return CoreErrors.InvalidLayerPath(rawName, "a '..' component could escape the root");
            var bytes = Encoding.UTF8.GetByteCount(component);
            if (bytes > MaxComponentBytes)
                return CoreErrors.InvalidLayerPath(rawName, $"a component is {bytes} bytes long (limit {MaxComponentBytes})");
            kept.Add(component);
        }
        return kept.Count == 0 ? Root : string.Join('/', kept);
    }

    /// <summary>The parent of a normalised path (<see cref="Root"/> for a top-level name and for the root).</summary>
    [Pure]
    public static string Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? Root : path[..slash];
    }

    /// <summary>The last component of a normalised path.</summary>
    [Pure]
    public static string BaseName(string path) => path[(path.LastIndexOf('/') + 1)..];

    /// <summary>Joins a normalised directory and a component.</summary>
    [Pure]
    public static string Join(string directory, string name) => directory == Root ? name : directory + "/" + name;

    /// <summary>
    /// Order of normalised paths: the root first, then component by component with ordinal (UTF-16) comparison,
    /// so every directory precedes its descendants and a directory's subtree is contiguous (depth-first).
    /// </summary>
    [Pure]
    public static int Compare(string? a, string? b)
    {
        if (ReferenceEquals(a, b)) return 0;
        if (a is null) return -1;
        if (b is null) return 1;
        if (a == Root) return b == Root ? 0 : -1;
        if (b == Root) return 1;
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            char x = a[i], y = b[i];
            if (x == y) continue;
            if (x == '/') return -1;
            if (y == '/') return 1;
            return x < y ? -1 : 1;
        }
        return a.Length.CompareTo(b.Length);
    }

    /// <summary><see cref="Compare"/> as a comparer.</summary>
    public static readonly IComparer<string> Comparer = Comparer<string>.Create(Compare);

    /// <summary>True when <paramref name="path"/> is <paramref name="ancestor"/> or lies below it.</summary>
    [Pure]
    public static bool IsAtOrBelow(string path, string ancestor) =>
        ancestor == Root || path == ancestor || (path.Length > ancestor.Length && path[ancestor.Length] == '/' && path.StartsWith(ancestor, StringComparison.Ordinal));

}
