using System.Diagnostics;

namespace ImageCache.Host.Tests;

/// <summary>A PID that belonged to a process which has exited: what a killed writer leaves in the names of its files.</summary>
internal static class ExitedProcess
{
    /// <summary>Runs <c>true</c> to its end and returns its PID.</summary>
    public static int Id()
    {
        using var exited = Process.Start(new ProcessStartInfo("true"))!;
        exited.WaitForExit();
        return exited.Id;
    }
}
