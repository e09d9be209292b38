namespace ImageCache.Host.Layers;

/// <summary>Which header layout a block uses; decides whether the prefix and the ustar tail are meaningful.</summary>
internal enum TarHeaderFormat { V7, Ustar, Star, Gnu }

/// <summary>The fields of one 512-byte header block, decoded but before any PAX or GNU meta entry is applied.</summary>
internal readonly record struct TarHeaderFields(
    TarHeaderFormat Format,
    byte TypeFlag,
    byte[] Name,
    byte[] LinkName,
    int Mode,
    long Uid,
    long Gid,
    long Size,
    long MtimeSeconds,
    string Uname,
    string Gname,
    long DevMajor,
    long DevMinor);
