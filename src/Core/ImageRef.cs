using System;
using LanguageExt;
using LanguageExt.Common;
using static LanguageExt.Prelude;

namespace ImageCache.Core;

/// <summary>
/// A normalised Docker/OCI image reference: <c>registry/repository[:tag][@digest]</c>.
/// </summary>
/// <param name="Registry">The registry host (and port), lowercase, e.g. <c>docker.io</c> or <c>localhost:5000</c>.</param>
/// <param name="Repository">The repository path, e.g. <c>library/busybox</c>.</param>
/// <param name="Tag">The tag; empty when the reference is pinned by digest only.</param>
/// <param name="Digest">The digest, if the reference has one.</param>
public sealed record ImageRef(string Registry, string Repository, string Tag, Option<Digest> Digest)
{
    /// <summary>The default registry of one- and two-component names.</summary>
    public const string DockerHub = "docker.io";

    /// <summary>The tag given to references with neither tag nor digest.</summary>
    public const string DefaultTag = "latest";

    const int MaxNameLength = 255;
    const int MaxTagLength = 128;

    /// <summary><c>registry/repository</c>.</summary>
    public string Name => $"{Registry}/{Repository}";

    /// <summary>The canonical string form; parsing it gives back an equal value.</summary>
    public override string ToString() =>
        Name + (Tag.Length > 0 ? ":" + Tag : "") + Digest.Match(d => "@" + d, () => "");

    /// <summary>This reference pinned to <paramref name="digest"/> without a tag: <c>registry/repository@digest</c>.</summary>
    public string PinnedTo(Digest digest) => $"{Name}@{digest}";

    /// <summary>
    /// Parses and normalises a reference: no registry → <c>docker.io</c>; a one-component Docker Hub name gets
    /// <c>library/</c>; no tag and no digest → <c>latest</c>; <c>name:tag@digest</c> keeps both.
    /// The first component is a registry when it is <c>localhost</c> or contains a <c>.</c> or <c>:</c>.
    /// </summary>
    public static Fin<ImageRef> Parse(string input)
    {
        var text = input.Trim();
        if (text.Length == 0) return CoreErrors.InvalidReference(input, "empty reference");
        foreach (var c in text)
            if (char.IsWhiteSpace(c) || char.IsControl(c))
                return CoreErrors.InvalidReference(input, "contains whitespace or control characters");

        var digest = Option<Digest>.None;
        var at = text.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            var parsed = Core.Digest.Parse(text[(at + 1)..]);
            if (parsed.IsFail) return CoreErrors.InvalidReference(input, "bad digest after '@'");
            digest = parsed.ToOption();
            text = text[..at];
        }

        var tag = "";
        var lastSlash = text.LastIndexOf('/');
        var colon = text.LastIndexOf(':');
        if (colon > lastSlash)
        {
            tag = text[(colon + 1)..];
            text = text[..colon];
            if (!IsTag(tag)) return CoreErrors.InvalidReference(input, $"invalid tag \"{CoreErrors.Printable(tag)}\"");
        }

        if (text.Length == 0) return CoreErrors.InvalidReference(input, "missing repository name");
        var components = text.Split('/');
        var registry = DockerHub;
        var pathStart = 0;
        if (components.Length > 1 && LooksLikeRegistry(components[0]))
        {
            if (!IsRegistry(components[0])) return CoreErrors.InvalidReference(input, $"invalid registry \"{CoreErrors.Printable(components[0])}\"");
            registry = components[0].ToLowerInvariant();
            if (registry is "index.docker.io" or "registry-1.docker.io") registry = DockerHub;
            pathStart = 1;
        }

        var path = components.AsSpan(pathStart);
        foreach (var component in path)
        {
            if (component.Length == 0) return CoreErrors.InvalidReference(input, "empty path component");
            if (HasUpper(component)) return CoreErrors.InvalidReference(input, "repository name must be lowercase");
            if (!IsPathComponent(component)) return CoreErrors.InvalidReference(input, $"invalid path component \"{CoreErrors.Printable(component)}\"");
        }
        var repository = string.Join('/', path.ToArray());
        if (registry == DockerHub && path.Length == 1) repository = "library/" + repository;
        if (registry.Length + 1 + repository.Length > MaxNameLength)
            return CoreErrors.InvalidReference(input, $"name longer than {MaxNameLength} characters");

        if (tag.Length == 0 && digest.IsNone) tag = DefaultTag;
        return FinSucc(new ImageRef(registry, repository, tag, digest));
    }

    /// <summary>Parses and returns the canonical form, or None when the text is not a valid reference.</summary>
    public static Option<string> CanonicalOf(string input) => Parse(input).Map(r => r.ToString()).ToOption();

    static bool LooksLikeRegistry(string component) =>
        component == "localhost" || component.Contains('.') || component.Contains(':');

    static bool IsRegistry(string component)
    {
        var host = component;
        var portStart = component.StartsWith('[') ? component.IndexOf("]:", StringComparison.Ordinal) + 1 : component.LastIndexOf(':');
        if (portStart > 0)
        {
            var port = component[(portStart + 1)..];
            if (port.Length == 0 || port.Length > 5) return false;
            foreach (var c in port) if (!char.IsAsciiDigit(c)) return false;
            host = component[..portStart];
        }
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            foreach (var c in host[1..^1]) if (!(char.IsAsciiHexDigit(c) || c == ':')) return false;
            return host.Length > 2;
        }
        foreach (var label in host.Split('.'))
        {
            if (label.Length == 0 || label[0] == '-' || label[^1] == '-') return false;
            foreach (var c in label) if (!(char.IsAsciiLetterOrDigit(c) || c == '-')) return false;
        }
        return true;
    }

    // [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
    static bool IsPathComponent(string component)
    {
        var i = 0;
        if (!AlnumRun(component, ref i)) return false;
        while (i < component.Length)
        {
            var c = component[i];
            if (c == '.') i++;
            else if (c == '_') { i++; if (i < component.Length && component[i] == '_') i++; }
            else if (c == '-') { while (i < component.Length && component[i] == '-') i++; }
            else return false;
            if (!AlnumRun(component, ref i)) return false;
        }
        return true;
    }

    static bool AlnumRun(string text, ref int i)
    {
        var start = i;
        while (i < text.Length && (text[i] is >= 'a' and <= 'z' or >= '0' and <= '9')) i++;
        return i > start;
    }

    static bool HasUpper(string text)
    {
        foreach (var c in text) if (c is >= 'A' and <= 'Z') return true;
        return false;
    }

    // [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
    static bool IsTag(string tag)
    {
        if (tag.Length is 0 or > MaxTagLength) return false;
        if (!(char.IsAsciiLetterOrDigit(tag[0]) || tag[0] == '_')) return false;
        foreach (var c in tag) if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-')) return false;
        return true;
    }
}
