using System.Security.Cryptography;
using ImageCache.Core;
using ImageCache.Host.Operations;
using Xunit;

namespace ImageCache.Host.Tests.Storage;

/// <summary><c>verify</c>: each sealed baseline is ok, missing, modified, writable or unsealed.</summary>
public sealed class VerifyTests : IDisposable
{
    const UnixFileMode Mode444 = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    const UnixFileMode Mode644 = Mode444 | UnixFileMode.UserWrite;

    readonly StorageSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    /// <summary>A store file sealed as the builder seals it: hash and size recorded, mode 0444.</summary>
    ImageRecord Sealed(string imageRef, char digest)
    {
        var file = sandbox.StoreFile(imageRef.Replace('/', '_') + ".ext4");
        File.SetUnixFileMode(file, Mode444);
        return StorageSandbox.Record(imageRef, StorageSandbox.Sha(digest), file) with
        {
            RootfsSha256 = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))),
            RootfsImmutable = true,
        };
    }

    async Task<VerifyEntry> VerifyOnly(ImageRecord record)
    {
        sandbox.WriteIndex(record);
        var entries = await sandbox.Client().VerifyAsync();
        var entry = Assert.Single(entries);
        Assert.Equal(record.ImageRef, entry.Record.ImageRef);
        return entry;
    }

    [Fact]
    public async Task An_untouched_sealed_baseline_is_ok()
    {
        var entry = await VerifyOnly(Sealed("busybox", 'b'));

        Assert.Equal(VerifyStatus.Ok, entry.Status);
        Assert.Equal("", entry.Detail);
    }

    [Fact]
    public async Task A_deleted_baseline_is_missing()
    {
        var record = Sealed("busybox", 'b');
        File.Delete(record.OutputPath);

        var entry = await VerifyOnly(record);

        Assert.Equal(VerifyStatus.Missing, entry.Status);
        Assert.Contains(record.OutputPath, entry.Detail);
    }

    [Fact]
    public async Task A_baseline_with_one_byte_changed_and_the_same_size_is_modified()
    {
        var record = Sealed("busybox", 'b');
        var bytes = File.ReadAllBytes(record.OutputPath);
        bytes[bytes.Length / 2] ^= 0x01;
        File.SetUnixFileMode(record.OutputPath, Mode644);
        File.WriteAllBytes(record.OutputPath, bytes);
        File.SetUnixFileMode(record.OutputPath, Mode444);
        Assert.Equal(record.SizeBytes, new FileInfo(record.OutputPath).Length);

        var entry = await VerifyOnly(record);

        Assert.Equal(VerifyStatus.Modified, entry.Status);
        Assert.Contains("SHA-256", entry.Detail);
    }

    [Fact]
    public async Task A_baseline_of_another_size_is_modified()
    {
        var record = Sealed("busybox", 'b');
        File.SetUnixFileMode(record.OutputPath, Mode644);
        File.AppendAllText(record.OutputPath, "more");
        File.SetUnixFileMode(record.OutputPath, Mode444);

        var entry = await VerifyOnly(record);

        Assert.Equal(VerifyStatus.Modified, entry.Status);
        Assert.Contains("size", entry.Detail);
    }

    [Fact]
    public async Task A_sealed_baseline_made_writable_is_reported_writable()
    {
        var record = Sealed("busybox", 'b');
        File.SetUnixFileMode(record.OutputPath, Mode644);

        var entry = await VerifyOnly(record);

        Assert.Equal(VerifyStatus.Writable, entry.Status);
        Assert.Contains("0644", entry.Detail);
    }

    [Fact]
    public async Task A_record_never_sealed_is_unsealed()
    {
        var record = Sealed("busybox", 'b') with { RootfsImmutable = false, RootfsSha256 = "" };

        var entry = await VerifyOnly(record);

        Assert.Equal(VerifyStatus.Unsealed, entry.Status);
    }

    [Fact]
    public async Task Verify_of_a_reference_checks_only_the_records_it_names()
    {
        var good = Sealed("busybox", 'b');
        var bad = Sealed("alpine", 'a');
        File.Delete(bad.OutputPath);
        sandbox.WriteIndex(good, bad);

        var all = await sandbox.Client().VerifyAsync();
        var one = await sandbox.Client().VerifyAsync("busybox");

        Assert.Equal(new[] { ("alpine", VerifyStatus.Missing), ("busybox", VerifyStatus.Ok) }, all.Select(e => (e.Record.ImageRef, e.Status)).ToArray());
        Assert.Equal(("busybox", VerifyStatus.Ok), one.Select(e => (e.Record.ImageRef, e.Status)).Single());
        await Assert.ThrowsAsync<ImageCacheException>(() => sandbox.Client().VerifyAsync("nope"));
    }
}
