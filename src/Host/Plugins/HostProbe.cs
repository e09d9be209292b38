using System.Runtime.InteropServices;
using ImageCache.Core.Planning;
using LanguageExt;

namespace ImageCache.Host.Plugins;

/// <summary>Probes the facts <see cref="BuilderPlanner"/> decides on: the host OS and architecture and which tools are on <c>PATH</c>.</summary>
public static class HostProbe
{
    /// <summary>The host's facts, looking up only <paramref name="tools"/> in <paramref name="pathVariable"/> (default: <c>$PATH</c>).</summary>
    public static HostFacts Probe(IEnumerable<string> tools, string? pathVariable = null)
    {
        ArgumentNullException.ThrowIfNull(tools);
        var path = pathVariable ?? Environment.GetEnvironmentVariable("PATH") ?? "";
        var found = tools.Distinct(StringComparer.Ordinal).Where(tool => FindOnPath(tool, path) is not null).ToArray();
        return new HostFacts(OperatingSystemName, ArchitectureName(RuntimeInformation.OSArchitecture), Prelude.toSeq(found).Strict());
    }

    /// <summary>The host OS as builders declare it in <c>[Builder(HostOperatingSystems = …)]</c>.</summary>
    public static string OperatingSystemName =>
        OperatingSystem.IsLinux() ? "linux"
        : OperatingSystem.IsMacOS() ? "osx"
        : OperatingSystem.IsWindows() ? "windows"
        : OperatingSystem.IsFreeBSD() ? "freebsd"
        : "unknown";

    /// <summary>The Go name of an architecture (<c>amd64</c>, <c>arm64</c>, …).</summary>
    public static string ArchitectureName(Architecture architecture) => architecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.X86 => "386",
        Architecture.Arm => "arm",
        Architecture.RiscV64 => "riscv64",
        Architecture.S390x => "s390x",
        Architecture.Ppc64le => "ppc64le",
        Architecture.LoongArch64 => "loong64",
        var other => other.ToString().ToLowerInvariant(),
    };

    /// <summary>The full path of the executable <paramref name="tool"/> in the directories of <paramref name="pathVariable"/>, or null.</summary>
    public static string? FindOnPath(string tool, string pathVariable)
    {
        ArgumentNullException.ThrowIfNull(tool);
        ArgumentNullException.ThrowIfNull(pathVariable);
        if (tool.Length == 0 || tool.Contains('/', StringComparison.Ordinal)) return null;
        foreach (var directory in pathVariable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, tool);
            if (IsExecutableFile(candidate)) return candidate;
            if (OperatingSystem.IsWindows() && IsExecutableFile(candidate + ".exe")) return candidate + ".exe";
        }
        return null;
    }

    static bool IsExecutableFile(string path)
    {
        try
        {
            if (!File.Exists(path)) return false;
            if (OperatingSystem.IsWindows()) return true;
            const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
            return (File.GetUnixFileMode(path) & anyExecute) != 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
