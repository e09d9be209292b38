using LanguageExt.Common;

namespace ImageCache.Core;

/// <summary>Constructors for the core's expected errors; each message is one line fit for the user.</summary>
public static class CoreErrors
{
    /// <summary>No record matches <paramref name="reference"/>.</summary>
    public static Error ImageNotFound(string reference) =>
        Error.New(ErrorCodes.ImageNotFound, $"image \"{reference}\" not found");

    /// <summary>A required argument is empty.</summary>
    public static Error Missing(string what) =>
        Error.New(ErrorCodes.MissingArgument, $"{what} is required");

    /// <summary>A reference that does not parse.</summary>
    public static Error InvalidReference(string input, string reason) =>
        Error.New(ErrorCodes.InvalidReference, $"invalid reference \"{Printable(input)}\": {reason}");

    /// <summary>A digest that does not parse.</summary>
    public static Error InvalidDigest(string input, string reason) =>
        Error.New(ErrorCodes.InvalidDigest, $"invalid digest \"{Printable(input)}\": {reason}");

    /// <summary>A platform that does not parse.</summary>
    public static Error InvalidPlatform(string input, string reason) =>
        Error.New(ErrorCodes.InvalidPlatform, $"invalid platform \"{Printable(input)}\": {reason}");

    /// <summary>A layer entry name (or hard-link target) that <see cref="Layers.PathRules.Normalize"/> refuses.</summary>
    public static Error InvalidLayerPath(string name, string reason) =>
        Error.New(ErrorCodes.InvalidLayerPath, $"invalid entry name \"{Printable(name)}\": {reason}");

    /// <summary>A layer entry <see cref="Layers.LayerMerge.Apply"/> refuses; <paramref name="layer"/> is 1-based, base first.</summary>
    public static Error LayerEntryRefused(int layer, string name, string reason) =>
        Error.New(ErrorCodes.LayerEntryRefused, $"layer {layer}: entry \"{Printable(name)}\" refused: {reason}");

    /// <summary>Makes control characters visible so an error stays on one line.</summary>
    public static string Printable(string input)
    {
        var builder = new System.Text.StringBuilder(input.Length);
        foreach (var c in input)
        {
            if (c == '"') builder.Append("\\\"");
            else if (c == '\\') builder.Append("\\\\");
            else if (char.IsControl(c)) builder.Append($"\\u{(int)c:x4}");
            else builder.Append(c);
        }
        return builder.ToString();
    }
}
