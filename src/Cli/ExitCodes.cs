namespace ImageCache.Cli;

/// <summary>Process exit codes (DESIGN §8).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    /// <summary>Interrupted by SIGINT (Ctrl-C), or cancelled otherwise: 128 + 2.</summary>
    public const int Cancelled = 130;
    /// <summary>Stopped by SIGTERM: 128 + 15.</summary>
    public const int Terminated = 143;
}
