using System.Security.Cryptography;
using ImageCache.Builders.Squashfs;
using ImageCache.Contracts;

namespace ImageCache.Fetchers.Rootfs;

/// <summary>
/// Writes a root filesystem as one uncompressed PAX tar whose bytes depend only on the tree: members in
/// <see cref="CanonicalPathComparer"/> order, the root as <c>./</c>, directories with a trailing <c>/</c>, every name
/// of a multiply-linked file after the first (in that order) written as a hard link to it carrying the first's
/// metadata, xattrs as raw <c>SCHILY.xattr.*</c> records, times at 100 ns precision. Real owners, modes, times and
/// xattrs are kept: nothing is normalised away, only the order and the encoding are fixed.
/// </summary>
internal static class CanonicalLayer
{
    /// <summary>Writes <paramref name="entries"/> to <paramref name="output"/>; returns the tar's sha256 digest and size.</summary>
    public static async Task<(string Digest, long Size)> WriteAsync(IReadOnlyList<RootfsEntry> entries, Stream output, string source, CancellationToken cancellationToken)
    {
        var sorted = entries.OrderBy(e => e.Path, CanonicalPathComparer.Instance).ToList();
        var hashing = new HashingWriteStream(output);
        var writer = new PaxTarWriter(hashing);
        var firstNames = new Dictionary<object, RootfsEntry>();
        foreach (var entry in sorted)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = entry.Path.Length == 0 ? "./" : entry.TypeFlag == '5' ? entry.Path + "/" : entry.Path;
            if (entry.LinkGroup is { } group && firstNames.TryGetValue(group, out var first))
            {
                await writer.WriteEntryAsync(new TarHeader(name, '1', first.Mode, first.Uid, first.Gid, first.ModifiedTime, first.Path), null, cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (entry.LinkGroup is { } newGroup) firstNames[newGroup] = entry;
            var header = new TarHeader(name, entry.TypeFlag, entry.Mode, entry.Uid, entry.Gid, entry.ModifiedTime, entry.LinkTarget,
                entry.DeviceMajor, entry.DeviceMinor, entry.TypeFlag == '0' ? entry.Size : 0, entry.Xattrs);
            if (entry.TypeFlag == '0' && entry.Size > 0)
            {
                Stream data;
                try { data = entry.OpenData!(); }
                catch (IOException e) { throw new ImageSourceException($"{source}: {e.Message}", e); }
                await using (data)
                {
                    try { await writer.WriteEntryAsync(header, data, cancellationToken).ConfigureAwait(false); }
                    catch (InvalidDataException e)
                    {
                        throw new ImageSourceException($"{source}: /{entry.Path} changed while it was read ({e.Message})", e);
                    }
                }
            }
            else
            {
                try { await writer.WriteEntryAsync(header, null, cancellationToken).ConfigureAwait(false); }
                catch (ArgumentException e) { throw new ImageSourceException($"{source}: /{entry.Path} cannot be written to a tar: {e.Message}", e); }
            }
        }
        await writer.FinishAsync(cancellationToken).ConfigureAwait(false);
        return (hashing.Digest(), hashing.Length);
    }

    /// <summary>A write-only pass-through that hashes (sha256) and counts what goes through.</summary>
    sealed class HashingWriteStream(Stream inner) : Stream
    {
        readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Written;
        public override long Position { get => Written; set => throw new NotSupportedException(); }
        long Written { get; set; }

        public string Digest() => "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            hash.AppendData(buffer);
            Written += buffer.Length;
            inner.Write(buffer);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            hash.AppendData(buffer.Span);
            Written += buffer.Length;
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) hash.Dispose();
            base.Dispose(disposing);
        }
    }
}
