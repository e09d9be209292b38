using System.Text.Json;

namespace ImageCache.Host.Plugins;

/// <summary>
/// The plugin cache file (<c>&lt;state&gt;/cache/plugins.json</c>): one <see cref="PluginDescription"/> per plugin folder
/// inspected, valid for the host build that wrote it. A missing, unreadable or foreign file is an empty cache; it is
/// rewritten whole (temp file, rename) and a failure to write it costs only the next process's inspection.
/// </summary>
internal static class PluginCache
{
    private const int FormatVersion = 1;

    /// <summary>
    /// The host build the descriptions are valid for: the contract and host assemblies' module ids (a rebuilt host may
    /// judge plugins differently, e.g. after a contract version change).
    /// </summary>
    public static string HostKey { get; } =
        $"{typeof(Contracts.PluginContract).Assembly.ManifestModule.ModuleVersionId:N}-{typeof(PluginCache).Assembly.ManifestModule.ModuleVersionId:N}";

    /// <summary>The descriptions in <paramref name="path"/> by folder; empty when there is no usable cache.</summary>
    public static Dictionary<string, PluginDescription> Read(string? path)
    {
        var found = new Dictionary<string, PluginDescription>(StringComparer.Ordinal);
        if (path is null) return found;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            if (root.GetProperty("version").GetInt32() != FormatVersion || root.GetProperty("host").GetString() != HostKey) return found;
            foreach (var plugin in root.GetProperty("plugins").EnumerateArray())
            {
                var description = ReadPlugin(plugin);
                found[description.Folder] = description;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException
                                      or KeyNotFoundException or FormatException or ArgumentException)
        {
            found.Clear(); // no cache, or one we cannot trust: every folder is inspected again
        }

        return found;
    }

    /// <summary>Replaces <paramref name="path"/> with <paramref name="descriptions"/>; false when it could not be written.</summary>
    public static bool Write(string path, IEnumerable<PluginDescription> descriptions)
    {
        var directory = Path.GetDirectoryName(path)!;
        // Never creates the state directory itself: a command that fails before it starts leaves no state behind, and
        // the state directory is made (with its mode) by the index store. The next process writes the cache.
        if (!Directory.Exists(Path.GetDirectoryName(directory))) return false;
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            Directory.CreateDirectory(directory, Storage.IndexStore.DirectoryMode);
            RemoveAbandonedTemps(path);
            using (var stream = new FileStream(temp, new FileStreamOptions
                   {
                       Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None, UnixCreateMode = Storage.IndexStore.FileMode600,
                   }))
            using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                writer.WriteStartObject();
                writer.WriteNumber("version", FormatVersion);
                writer.WriteString("host", HostKey);
                writer.WriteStartArray("plugins");
                foreach (var description in descriptions) WritePlugin(writer, description);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            File.Move(temp, path, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temp); } catch (Exception f) when (f is IOException or UnauthorizedAccessException) { }
            return false;
        }
    }

    /// <summary>Deletes <c>plugins.json.PID.tmp</c> files whose writer was killed (its process is gone); a live writer's is left alone.</summary>
    private static void RemoveAbandonedTemps(string path)
    {
        var prefix = Path.GetFileName(path) + ".";
        foreach (var temp in Directory.EnumerateFiles(Path.GetDirectoryName(path)!, prefix + "*.tmp"))
        {
            var pid = Path.GetFileName(temp).AsSpan()[prefix.Length..^".tmp".Length];
            if (!int.TryParse(pid, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var writer)) continue;
            if (Storage.ProcessLiveness.MayBeRunning(writer)) continue;
            try { File.Delete(temp); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    // Plain loops, no LINQ over JsonElement: this runs in every pull, where each generic instantiation is JIT-compiled.
    private static PluginDescription ReadPlugin(JsonElement plugin)
    {
        var folder = plugin.GetProperty("folder").GetString()!;
        var name = Path.GetFileName(folder);
        var refusal = plugin.GetProperty("refusal").GetString() switch
        {
            null => (PluginLoadStatus?)null,
            "skipped" => PluginLoadStatus.Skipped,
            "failed" => PluginLoadStatus.Failed,
            var other => throw new FormatException($"unknown refusal '{other}'"),
        };
        var fetchers = new List<(FetcherDescriptor, string)>();
        foreach (var f in plugin.GetProperty("fetchers").EnumerateArray())
        {
            fetchers.Add((new FetcherDescriptor(Text(f, "transport"), Text(f, "description"), name), Text(f, "type")));
        }

        var builders = new List<(BuilderDescriptor, string)>();
        foreach (var b in plugin.GetProperty("builders").EnumerateArray())
        {
            var builder = new BuilderDescriptor(
                Text(b, "name"), Text(b, "format"), Text(b, "extension"), Strings(b, "requiredTools"), Strings(b, "hostOperatingSystems"),
                Text(b, "description"), name);
            builders.Add((builder, Text(b, "type")));
        }

        return new PluginDescription(
            folder,
            Text(plugin, "fingerprint"),
            Text(plugin, "assembly"),
            refusal,
            plugin.GetProperty("reason").GetString(),
            Strings(plugin, "entryPoints"),
            fetchers,
            builders,
            Strings(plugin, "artifactRegistries"));
    }

    private static string Text(JsonElement element, string name) =>
        element.GetProperty(name).GetString() ?? throw new FormatException($"{name} is null");

    private static List<string> Strings(JsonElement element, string name)
    {
        var values = new List<string>();
        foreach (var value in element.GetProperty(name).EnumerateArray())
        {
            values.Add(value.GetString() ?? throw new FormatException($"null in {name}"));
        }

        return values;
    }

    private static void WritePlugin(Utf8JsonWriter writer, PluginDescription description)
    {
        writer.WriteStartObject();
        writer.WriteString("folder", description.Folder);
        writer.WriteString("fingerprint", description.Fingerprint);
        writer.WriteString("assembly", description.AssemblyPath);
        writer.WriteString("refusal", description.Refusal switch
        {
            null => null,
            PluginLoadStatus.Skipped => "skipped",
            _ => "failed",
        });
        writer.WriteString("reason", description.Reason);
        WriteStrings(writer, "entryPoints", description.EntryPoints);
        writer.WriteStartArray("fetchers");
        foreach (var (fetcher, type) in description.Fetchers)
        {
            writer.WriteStartObject();
            writer.WriteString("transport", fetcher.Transport);
            writer.WriteString("description", fetcher.Description);
            writer.WriteString("type", type);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("builders");
        foreach (var (builder, type) in description.Builders)
        {
            writer.WriteStartObject();
            writer.WriteString("name", builder.Name);
            writer.WriteString("format", builder.Format);
            writer.WriteString("extension", builder.Extension);
            WriteStrings(writer, "requiredTools", builder.RequiredTools);
            WriteStrings(writer, "hostOperatingSystems", builder.HostOperatingSystems);
            writer.WriteString("description", builder.Description);
            writer.WriteString("type", type);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        WriteStrings(writer, "artifactRegistries", description.ArtifactRegistries);
        writer.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values) writer.WriteStringValue(value);
        writer.WriteEndArray();
    }
}
