namespace ImageCache.Cli;

/// <summary>Process exit codes (DESIGN §8).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int Cancelled = 130;
}
