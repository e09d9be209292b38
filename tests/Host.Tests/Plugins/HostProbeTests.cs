using Xunit;
using ImageCache.Host.Plugins;

namespace ImageCache.Host.Tests.Plugins;

/// <summary>The host half of builder choice: the PATH lookup and OS facts the pure planner decides on.</summary>
public sealed class HostProbeTests : IDisposable
{
    readonly TemporaryDirectory temp = new();

    public void Dispose() => temp.Dispose();

    string WriteTool(string directory, string name, UnixFileMode mode)
    {
        var path = Path.Combine(temp.Subdirectory(directory), name);
        File.WriteAllText(path, "#!/bin/sh\n");
        File.SetUnixFileMode(path, mode);
        return path;
    }

    [Fact]
    public void Finds_an_executable_in_the_first_directory_of_PATH_that_has_it()
    {
        var first = WriteTool("a", "mkfs.demo", UnixFileMode.UserRead | UnixFileMode.UserExecute);
        WriteTool("b", "mkfs.demo", UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var path = string.Join(':', Path.Combine(temp.Path, "missing"), Path.Combine(temp.Path, "a"), Path.Combine(temp.Path, "b"));
        Assert.Equal(first, HostProbe.FindOnPath("mkfs.demo", path));
    }

    [Fact]
    public void A_file_without_execute_bits_is_not_a_tool()
    {
        WriteTool("a", "mkfs.demo", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Null(HostProbe.FindOnPath("mkfs.demo", Path.Combine(temp.Path, "a")));
    }

    [Fact]
    public void A_directory_named_like_the_tool_or_a_name_with_a_slash_is_not_a_tool()
    {
        temp.Subdirectory(Path.Combine("a", "mkfs.demo"));
        Assert.Null(HostProbe.FindOnPath("mkfs.demo", Path.Combine(temp.Path, "a")));
        Assert.Null(HostProbe.FindOnPath("../a/mkfs.demo", Path.Combine(temp.Path, "a")));
    }

    [Fact]
    public void Probe_reports_only_the_tools_asked_about_that_were_found_and_the_host_os()
    {
        WriteTool("a", "present", UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var facts = HostProbe.Probe(["present", "absent", "present"], Path.Combine(temp.Path, "a"));
        Assert.Equal(["present"], facts.ToolsOnPath.ToArray());
        Assert.Equal("linux", facts.Os);
        Assert.Contains(facts.Architecture, new[] { "amd64", "arm64" });
    }
}
