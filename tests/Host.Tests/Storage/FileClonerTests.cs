using System.Diagnostics;
using System.Security.Cryptography;
using ImageCache.Host.Storage;
using Xunit;

namespace ImageCache.Host.Tests.Storage;

/// <summary>The reflink/sparse-copy primitive under <c>imagecache clone</c>, on real files in a temp directory.</summary>
public sealed class FileClonerTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("imagecache-cloner-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Theory]
    [InlineData(95, "EOPNOTSUPP: ext4 and other file systems without shared extents")]
    [InlineData(18, "EXDEV: source and copy on different file systems")]
    [InlineData(22, "EINVAL: the file system does not implement it")]
    [InlineData(25, "ENOTTY: no such ioctl (tmpfs)")]
    [InlineData(38, "ENOSYS")]
    public void A_reflink_the_file_system_cannot_make_falls_back_to_a_copy(int errno, string why)
    {
        Assert.True(FileCloner.Classify(errno) == FileCloner.ReflinkFailure.Unsupported, why);
    }

    [Theory]
    [InlineData(28, "ENOSPC")]
    [InlineData(5, "EIO")]
    [InlineData(9, "EBADF")]
    [InlineData(13, "EACCES")]
    public void A_real_error_of_the_reflink_is_reported_not_hidden_behind_a_copy(int errno, string name)
    {
        Assert.True(FileCloner.Classify(errno) == FileCloner.ReflinkFailure.Error, name);
    }

    /// <summary>A file with a hole at the start, 3 MiB of data with a zero block inside, a 5 MiB hole, data, and a trailing hole.</summary>
    string SparseSource(out byte[] content)
    {
        var path = Path.Combine(root, "source.img");
        const int MiB = 1 << 20;
        content = new byte[12 * MiB];
        var random = new Random(7);
        random.NextBytes(content.AsSpan(1 * MiB, 3 * MiB));
        content.AsSpan(2 * MiB, 4096).Clear(); // a zero block inside a data range
        random.NextBytes(content.AsSpan(9 * MiB, 1 * MiB));
        using (var stream = new FileStream(path, FileMode.CreateNew))
        {
            stream.SetLength(content.Length);
            stream.Position = 1 * MiB;
            stream.Write(content, 1 * MiB, 3 * MiB);
            stream.Position = 9 * MiB;
            stream.Write(content, 9 * MiB, 1 * MiB);
        }
        return path;
    }

    static long AllocatedBytes(string path)
    {
        var info = new ProcessStartInfo("stat", ["-c", "%b %B", path]) { RedirectStandardOutput = true };
        using var process = Process.Start(info)!;
        var fields = process.StandardOutput.ReadToEnd().Split(' ', StringSplitOptions.TrimEntries);
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return long.Parse(fields[0]) * long.Parse(fields[1]);
    }

    [Fact]
    public void The_sparse_copy_keeps_content_and_holes_and_hashes_the_whole_file()
    {
        var sourcePath = SparseSource(out var content);
        var copyPath = Path.Combine(root, "copy.img");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var source = File.OpenHandle(sourcePath))
        using (var copy = File.OpenHandle(copyPath, FileMode.CreateNew, FileAccess.ReadWrite))
            Assert.False(FileCloner.Copy(source, copy, content.Length, hash, allowReflink: false, CancellationToken.None));

        Assert.Equal(content, File.ReadAllBytes(copyPath));
        Assert.Equal(SHA256.HashData(content), hash.GetHashAndReset());
        var allocated = AllocatedBytes(copyPath);
        Assert.True(allocated <= AllocatedBytes(sourcePath), $"copy allocates {allocated} bytes, source {AllocatedBytes(sourcePath)}");
        Assert.True(allocated < 4 << 20, $"the copy allocates {allocated} bytes: its holes were filled");
    }

    [Fact]
    public void The_real_reflink_call_either_clones_or_falls_back_here_and_the_copy_is_equal()
    {
        // On this host's file system (ext4 in CI) FICLONE answers EOPNOTSUPP: the fallback runs through the real ioctl.
        var sourcePath = SparseSource(out var content);
        var copyPath = Path.Combine(root, "copy.img");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        bool reflinked;
        int errno;
        using (var source = File.OpenHandle(sourcePath))
        using (var copy = File.OpenHandle(copyPath, FileMode.CreateNew, FileAccess.ReadWrite))
        {
            errno = FileCloner.TryReflink(source, copy);
            reflinked = errno == 0;
            if (!reflinked) Assert.True(FileCloner.Classify(errno) == FileCloner.ReflinkFailure.Unsupported, $"FICLONE failed with errno {errno}, which is not a 'not supported' answer");
        }
        File.Delete(copyPath);
        using (var source = File.OpenHandle(sourcePath))
        using (var copy = File.OpenHandle(copyPath, FileMode.CreateNew, FileAccess.ReadWrite))
            Assert.Equal(reflinked, FileCloner.Copy(source, copy, content.Length, hash, allowReflink: true, CancellationToken.None));
        Assert.Equal(content, File.ReadAllBytes(copyPath));
        Assert.Equal(SHA256.HashData(content), hash.GetHashAndReset());
    }

    [Fact]
    public void A_file_that_is_all_hole_gives_an_all_hole_copy()
    {
        var sourcePath = Path.Combine(root, "empty.img");
        using (var stream = new FileStream(sourcePath, FileMode.CreateNew)) stream.SetLength(8 << 20);
        var copyPath = Path.Combine(root, "copy.img");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var source = File.OpenHandle(sourcePath))
        using (var copy = File.OpenHandle(copyPath, FileMode.CreateNew, FileAccess.ReadWrite))
            FileCloner.SparseCopy(source, copy, 8 << 20, hash, CancellationToken.None);
        Assert.Equal(8L << 20, new FileInfo(copyPath).Length);
        Assert.Equal(0, AllocatedBytes(copyPath));
        Assert.Equal(SHA256.HashData(new byte[8 << 20]), hash.GetHashAndReset());
    }
}
