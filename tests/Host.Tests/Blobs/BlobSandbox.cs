using System.Security.Cryptography;
using ImageCache.Host.Blobs;

namespace ImageCache.Host.Tests.Blobs;

/// <summary>A fresh temp directory whose <c>oci/</c> subdirectory is the layout under test (not created up front).</summary>
internal sealed class BlobSandbox : IDisposable
{
    public BlobSandbox()
    {
        Root = Directory.CreateTempSubdirectory("imagecache-blobs-").FullName;
        LayoutDir = Path.Combine(Root, "oci");
        Store = new OciBlobStore(LayoutDir);
        Index = new OciLayoutIndex(LayoutDir);
    }

    public string Root { get; }
    public string LayoutDir { get; }
    public OciBlobStore Store { get; }
    public OciLayoutIndex Index { get; }

    public string[] IngestFiles() => Directory.Exists(Store.IngestDir) ? Directory.GetFiles(Store.IngestDir) : [];

    public string[] BlobFiles() =>
        Directory.Exists(Path.Combine(LayoutDir, "blobs")) ? Directory.GetFiles(Path.Combine(LayoutDir, "blobs"), "*", SearchOption.AllDirectories) : [];

    public static string Sha256(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    public async Task<string> PutAsync(byte[] bytes) =>
        await Store.PutAsync(new MemoryStream(bytes), Sha256(bytes), bytes.Length, CancellationToken.None);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

/// <summary>A stream that fails the test if anything reads it.</summary>
internal sealed class UnreadableStream : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new InvalidOperationException("the content must not be read");
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>An endless stream of a repeated byte, read in small slow-ish chunks; counts what was read.</summary>
internal sealed class EndlessStream(int delayMs = 0) : Stream
{
    public long BytesRead;
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count)
    {
        if (delayMs > 0) Thread.Sleep(delayMs);
        var n = Math.Min(count, 4096);
        buffer.AsSpan(offset, n).Fill(0x61);
        BytesRead += n;
        return n;
    }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Hands out the content in small chunks with a yield between them, so concurrent writers interleave.</summary>
internal sealed class TricklingStream(byte[] content) : Stream
{
    int position;
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => content.Length;
    public override long Position { get => position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = Math.Min(Math.Min(count, 1000), content.Length - position);
        content.AsSpan(position, n).CopyTo(buffer.AsSpan(offset));
        position += n;
        return n;
    }
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        var n = Math.Min(Math.Min(buffer.Length, 1000), content.Length - position);
        content.AsMemory(position, n).CopyTo(buffer);
        position += n;
        return n;
    }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
