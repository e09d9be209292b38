namespace ImageCache.Host.Storage;

/// <summary>
/// Whether the process that left a file or directory (its PID in the name) may still be working on it. Temp entries,
/// clone copies and cache temp files of a killed process are removed by whoever comes next; a live one's never are.
/// </summary>
internal static class ProcessLiveness
{
    /// <summary>True for this process and for any PID that exists (a reused PID errs on the side of keeping).</summary>
    public static bool MayBeRunning(int pid) => pid == Environment.ProcessId || Directory.Exists($"/proc/{pid}");
}
