namespace ImageCache.Reliability.Tests;

/// <summary>
/// Short runs in CI; <c>IMAGECACHE_SOAK=1</c> turns on the long ones (more processes' time, kills, fuzzing seconds,
/// the real 4-million-entry archive). See docs/reliability.md.
/// </summary>
internal static class Soak
{
    public static bool On => Environment.GetEnvironmentVariable("IMAGECACHE_SOAK") == "1";

    public static T Pick<T>(T ci, T soak) => On ? soak : ci;

    /// <summary>A seed from IMAGECACHE_SEED (to replay a failure) or a fresh one; tests print it in every failure message.</summary>
    public static int Seed() =>
        int.TryParse(Environment.GetEnvironmentVariable("IMAGECACHE_SEED"), out var seed) ? seed : Environment.TickCount & int.MaxValue;
}
