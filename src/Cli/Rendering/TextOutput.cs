using System.Globalization;
using ImageCache.Core;
using ImageCache.Host.Storage;

namespace ImageCache.Cli.Rendering;

/// <summary>Human-readable output.</summary>
internal static class TextOutput
{
    /// <summary>The short record form printed by pull and tag (the original's lines).</summary>
    public static void RecordSummary(CommandContext context, ImageRecord record)
    {
        context.WriteLine($"Image:    {record.ImageRef}");
        if (record.ResolvedRef.Length > 0) context.WriteLine($"Resolved: {record.ResolvedRef}");
        if (record.Digest.Length > 0) context.WriteLine($"Digest:   {record.Digest}");
        context.WriteLine($"Platform: {record.Platform}");
        if (record.OutputPath.Length > 0) context.WriteLine($"Rootfs:   {record.OutputPath}");
        if (record.SizeBytes != 0) context.WriteLine($"Size:     {Bytes(record.SizeBytes)} ({record.SizeBytes} bytes)");
    }

    /// <summary>Every field of a record, for inspect: <c>Name: value</c> lines, continuation lines indented.</summary>
    public static void RecordDetail(CommandContext context, ImageRecord record)
    {
        var rows = new List<(string Name, string Value)>();
        void Row(string name, string value)
        {
            if (value.Length > 0) rows.Add((name, value));
        }
        Row("Image", record.ImageRef);
        Row("Canonical", record.EffectiveCanonicalRef);
        Row("Resolved", record.ResolvedRef);
        Row("Digest", record.Digest);
        Row("Index digest", record.IndexDigest);
        Row("Platform", record.Platform.ToString());
        Row("Source", record.Source);
        Row("Format", record.Format);
        Row("Builder", record.Builder);
        Row("Content key", record.ContentKey);
        Row("Rootfs", record.OutputPath);
        Row("Size", record.SizeBytes != 0 ? $"{Bytes(record.SizeBytes)} ({record.SizeBytes} bytes)" : "");
        Row("SHA-256", record.RootfsSha256);
        Row("Sealed", record.RootfsImmutable ? "yes (read-only)" : "no");
        Row("Setuid", record.SetuidPolicy);
        Row("Init SHA-256", record.InitSha256);
        Row("Created", record.CreatedAt.Match(IndexJson.FormatTime, () => ""));
        Row("Last used", record.LastUsedAt.Match(IndexJson.FormatTime, () => ""));
        Row("Entrypoint", Words(record.ImageEntrypoint));
        Row("Cmd", Words(record.ImageCmd));
        Row("Env", string.Join("\n", record.ImageEnv));
        record.ImageConfig.IfSome(config =>
        {
            Row("User", config.User);
            Row("Working dir", config.WorkingDir);
            Row("Stop signal", config.StopSignal);
            Row("Ports", string.Join(" ", config.ExposedPorts));
            Row("Volumes", string.Join(" ", config.Volumes));
            Row("Labels", string.Join("\n", config.Labels.Map(kv => $"{kv.Key}={kv.Value}")));
        });
        Row("Layers", string.Join("\n", record.LayerDigests));
        foreach (var (name, raw) in record.Extensions) Row(name, raw.ReplaceLineEndings(" "));
        var width = rows.Max(r => r.Name.Length) + 2;
        foreach (var (name, value) in rows)
        {
            var lines = value.Split('\n');
            context.WriteLine((name + ":").PadRight(width) + lines[0]);
            foreach (var line in lines.Skip(1)) context.WriteLine(new string(' ', width) + line);
        }
    }

    public static void RecordTable(CommandContext context, IEnumerable<ImageRecord> records)
    {
        var table = new TextTable("IMAGE", "DIGEST", "PLATFORM", "SIZE", "LAST USED").RightAlign(3);
        foreach (var record in records)
            table.Add(record.ImageRef, ShortDigest(record.Digest), record.Platform.ToString(),
                record.SizeBytes != 0 ? Bytes(record.SizeBytes) : "-",
                record.LastUsedAt.Match(t => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), () => "-"));
        table.Write(context);
    }

    public static void PruneSummary(CommandContext context, PruneResult result)
    {
        context.WriteLine($"Removed: {result.Removed.Count}");
        context.WriteLine($"Deleted: {result.Deleted.Count}");
        context.WriteLine($"Kept: {result.Kept.Count}");
        if (!result.OrphansDeleted.IsEmpty) context.WriteLine($"Orphan files deleted: {result.OrphansDeleted.Count}");
        if (result.Blobs.Skipped.Length > 0) context.WriteLine($"Blobs: not collected: {result.Blobs.Skipped}");
        else if (!result.Blobs.DeletedBlobs.IsEmpty) context.WriteLine($"Blobs deleted: {result.Blobs.DeletedBlobs.Count} ({Bytes(result.Blobs.BytesFreed)} freed)");
        if (context.Verbose)
        {
            foreach (var r in result.Removed) context.WriteLine($"  removed {r.ImageRef} ({r.Platform})");
            foreach (var r in result.Deleted) context.WriteLine($"  deleted {r.ImageRef} ({r.Platform}) {r.OutputPath}");
            foreach (var path in result.OrphansDeleted) context.WriteLine($"  deleted orphan {path}");
            foreach (var digest in result.Blobs.DeletedBlobs) context.WriteLine($"  deleted blob {digest}");
        }
    }

    public static string ShortDigest(string digest)
    {
        var colon = digest.IndexOf(':');
        var encoded = colon >= 0 ? digest[(colon + 1)..] : digest;
        return encoded.Length > 12 ? encoded[..12] : encoded.Length == 0 ? "-" : encoded;
    }

    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1) { value /= 1024; unit++; }
        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }

    static string Words(LanguageExt.Seq<string> words) =>
        string.Join(" ", words.Map(w => w.Contains(' ') || w.Length == 0 ? $"\"{w}\"" : w));
}
