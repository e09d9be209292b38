using System.Formats.Tar;
using System.Text;
using ImageCache.Host.Layers;
using Xunit;
using static ImageCache.Host.Tests.Layers.RawTar;

namespace ImageCache.Host.Tests.Layers;

/// <summary>PAX extended headers: binary xattrs, libarchive xattrs, overrides of the header fields, global headers.</summary>
public sealed class TarReaderPaxTests
{
    // security.capability v2 for cap_net_bind_service (bit 10), with a 0xFF byte added so the value is not UTF-8.
    static readonly byte[] Capability = [0x01, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];

    static byte[] CapabilityArchive() => new RawTar()
        .Pax('x', PaxRecord("SCHILY.xattr.security.capability", Capability), PaxRecord("SCHILY.xattr.user.note", "a=b\nc"))
        .Entry("usr/bin/ping", data: "ELF"u8.ToArray())
        .End().ToArray();

    /// <summary>
    /// The question of issue 4: System.Formats.Tar (.NET 10) decodes PAX values as UTF-8 strings, so a binary xattr
    /// does not survive (0xFF becomes U+FFFD). If this ever starts failing, the BCL has changed and could be reconsidered.
    /// </summary>
    [Fact]
    public void System_Formats_Tar_loses_binary_xattr_bytes()
    {
        var archive = new RawTar().Pax('x', PaxRecord("SCHILY.xattr.security.capability", Capability)).Entry("usr/bin/ping").End().ToArray();
        using var reader = new System.Formats.Tar.TarReader(new MemoryStream(archive));
        var entry = Assert.IsType<PaxTarEntry>(reader.GetNextEntry());
        string value = entry.ExtendedAttributes["SCHILY.xattr.security.capability"];

        Assert.Equal(Capability.Length, value.Length);
        Assert.Equal('\uFFFD', value[8]);
        Assert.NotEqual(Capability, Encoding.UTF8.GetBytes(value));
        Assert.NotEqual(Capability, Encoding.Latin1.GetBytes(value));
    }

    /// <summary>
    /// Worse: System.Formats.Tar (.NET 10) rejects a whole archive whose PAX value contains '\n' (legal, since records
    /// are length-counted; a binary capability can hold 0x0A), with "The extended header contains invalid records."
    /// </summary>
    [Fact]
    public void System_Formats_Tar_rejects_a_pax_value_containing_a_newline()
    {
        var archive = new RawTar().Pax('x', PaxRecord("SCHILY.xattr.user.note", "a=b\nc")).Entry("f").End().ToArray();
        using var reader = new System.Formats.Tar.TarReader(new MemoryStream(archive));

        var e = Assert.Throws<InvalidDataException>(() => reader.GetNextEntry());

        Assert.Contains("invalid records", e.Message);
    }

    [Fact]
    public async Task Binary_security_capability_bytes_survive_exactly()
    {
        var (header, data) = Assert.Single(await Tar.ReadAllAsync(CapabilityArchive()));

        Assert.Equal("usr/bin/ping", header.Name);
        Assert.Equal(Capability, header.Xattrs["security.capability"]);
        Assert.Equal("a=b\nc"u8.ToArray(), header.Xattrs["user.note"]);
        Assert.Equal("ELF"u8.ToArray(), data);
    }

    [Fact]
    public async Task Libarchive_xattrs_are_base64_with_url_encoded_names()
    {
        var archive = new RawTar()
            .Pax('x',
                PaxRecord("LIBARCHIVE.xattr.security.capability", Convert.ToBase64String(Capability).TrimEnd('=')),
                PaxRecord("LIBARCHIVE.xattr.user.with%20space%3D", Convert.ToBase64String([0, 1, 2])))
            .Entry("bin/x")
            .End().ToArray();

        var header = await Tar.SingleAsync(archive);

        Assert.Equal(Capability, header.Xattrs["security.capability"]);
        Assert.Equal(new byte[] { 0, 1, 2 }, header.Xattrs["user.with space="]);
    }

    [Fact]
    public async Task Bad_libarchive_base64_is_an_error()
    {
        var archive = new RawTar().Pax('x', PaxRecord("LIBARCHIVE.xattr.user.a", "!!!")).Entry("f").End().ToArray();

        var e = await Tar.FailsAsync(archive);

        Assert.Contains("'f'", e.Message);
        Assert.Contains("base64", e.Message);
    }

    [Fact]
    public async Task Pax_records_override_path_linkpath_size_ids_names_and_give_sub_second_mtime()
    {
        string longPath = string.Join('/', Enumerable.Repeat("directory-name-é", 20)) + "/file";
        var archive = new RawTar()
            .Pax('x',
                PaxRecord("path", longPath), PaxRecord("uid", "4294967294"), PaxRecord("gid", "3000000000"),
                PaxRecord("mtime", "1700000000.123456789"), PaxRecord("uname", "nobody"), PaxRecord("gname", "ünïcode"),
                PaxRecord("size", "5"), PaxRecord("atime", "1.5"), PaxRecord("comment", "ignored"))
            .Block(HeaderBlock("short", size: 0))
            .Data("hello"u8.ToArray())
            .Pax('x', PaxRecord("linkpath", new string('t', 300)), PaxRecord("mtime", "-1.5"))
            .Block(HeaderBlock("link", '2', link: "short-target"))
            .End().ToArray();

        var entries = await Tar.ReadAllAsync(archive);

        var (file, data) = entries[0];
        Assert.Equal(longPath, file.Name);
        Assert.Equal(Encoding.UTF8.GetBytes(longPath), file.RawName);
        Assert.Equal(4294967294L, file.Uid);
        Assert.Equal(3000000000L, file.Gid);
        Assert.Equal(5, file.Size);
        Assert.Equal("hello"u8.ToArray(), data);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000).AddTicks(1234567), file.ModifiedTime);
        Assert.Equal(("nobody", "ünïcode"), (file.Uname, file.Gname));

        var link = entries[1].Header;
        Assert.Equal(TarEntryKind.SymbolicLink, link.Kind);
        Assert.Equal(new string('t', 300), link.LinkName);
        Assert.Equal(DateTimeOffset.UnixEpoch.AddTicks(-15_000_000), link.ModifiedTime);
    }

    [Fact]
    public async Task A_global_header_applies_to_all_following_entries_until_changed()
    {
        var archive = new RawTar()
            .Entry("before")
            .Pax('g', PaxRecord("uid", "1000"), PaxRecord("mtime", "1600000000.5"), PaxRecord("SCHILY.xattr.user.g", "global"))
            .Entry("first")
            .Pax('x', PaxRecord("uid", "7"), PaxRecord("SCHILY.xattr.user.g", ""))
            .Entry("second")
            .Pax('g', PaxRecord("uid", ""))
            .Entry("third", uid: 42)
            .End().ToArray();

        var headers = (await Tar.ReadAllAsync(archive)).Select(e => e.Header).ToList();

        Assert.Equal(["before", "first", "second", "third"], headers.Select(h => h.Name));
        Assert.Equal([0L, 1000L, 7L, 42L], headers.Select(h => h.Uid));
        Assert.Equal(1600000000.5, headers[1].ModifiedTime.ToUnixTimeMilliseconds() / 1000.0);
        Assert.Equal(1600000000.5, headers[3].ModifiedTime.ToUnixTimeMilliseconds() / 1000.0);
        Assert.Empty(headers[0].Xattrs);
        Assert.Equal("global"u8.ToArray(), headers[1].Xattrs["user.g"]);
        Assert.Empty(headers[2].Xattrs); // an empty local value unsets the global one
        Assert.Equal("global"u8.ToArray(), headers[3].Xattrs["user.g"]);
    }

    [Fact]
    public async Task Pax_sparse_records_are_refused_with_the_real_name()
    {
        var archive = new RawTar()
            .Pax('x', PaxRecord("GNU.sparse.major", "1"), PaxRecord("GNU.sparse.minor", "0"), PaxRecord("GNU.sparse.name", "var/lib/big.img"), PaxRecord("GNU.sparse.realsize", "1000000"))
            .Entry("GNUSparseFile.0/big.img", data: new byte[600])
            .End().ToArray();

        var e = await Tar.FailsAsync(archive);

        Assert.StartsWith("GNU sparse file 'var/lib/big.img' is not supported", e.Message);
    }

    [Theory]
    [InlineData("6 uid\n", "keyword")]
    [InlineData("99 uid=1\n", "runs past")]
    [InlineData("x uid=1\n", "decimal length")]
    [InlineData("8 uid=12", "newline")]
    [InlineData("9 uid=12X", "newline")]
    [InlineData("6 =12\n", "keyword")]
    public async Task Malformed_pax_records_are_errors(string records, string expected)
    {
        var archive = new RawTar().Pax('x', Encoding.ASCII.GetBytes(records)).Entry("f").End().ToArray();

        var e = await Tar.FailsAsync(archive);

        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("uid", "-1")]
    [InlineData("size", "12a")]
    [InlineData("gid", "")]
    [InlineData("mtime", "1.2.3")]
    [InlineData("mtime", "99999999999999")]
    public async Task Bad_pax_numbers_are_errors(string key, string value)
    {
        var archive = new RawTar().Pax('x', PaxRecord(key, value)).Entry("f").End().ToArray();

        if (value == "")
        {
            // An empty value unsets the keyword: the header field applies.
            Assert.Equal(0, (await Tar.SingleAsync(archive)).Gid);
            return;
        }
        var e = await Tar.FailsAsync(archive);
        Assert.Contains("'f'", e.Message);
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public async Task A_pax_header_over_the_limit_is_refused_before_it_is_read()
    {
        var archive = new RawTar().Pax('x', PaxRecord("SCHILY.xattr.user.big", new byte[5000])).Entry("f").End().ToArray();

        var e = await Tar.FailsAsync(archive, new TarReaderOptions { MaxPaxHeaderSize = 4096 });

        Assert.Contains("over the limit of 4096", e.Message);
        Assert.Single(await Tar.ReadAllAsync(archive));
    }

    [Fact]
    public async Task Several_pax_headers_for_one_entry_count_against_one_limit()
    {
        var archive = new RawTar()
            .Pax('x', PaxRecord("SCHILY.xattr.user.a", new byte[3000]))
            .Pax('x', PaxRecord("SCHILY.xattr.user.b", new byte[3000]))
            .Entry("f").End().ToArray();

        var e = await Tar.FailsAsync(archive, new TarReaderOptions { MaxPaxHeaderSize = 4096 });

        Assert.Contains("exceed the limit of 4096", e.Message);
    }

    [Fact]
    public async Task A_pax_path_over_the_name_limit_or_with_nul_is_refused()
    {
        var tooLong = new RawTar().Pax('x', PaxRecord("path", new string('a', 200))).Entry("f").End().ToArray();
        var withNul = new RawTar().Pax('x', PaxRecord("path", "a\0b")).Entry("f").End().ToArray();

        Assert.Contains("limit of 100 bytes", (await Tar.FailsAsync(tooLong, new TarReaderOptions { MaxNameLength = 100 })).Message);
        Assert.Contains("NUL", (await Tar.FailsAsync(withNul)).Message);
    }

    [Fact]
    public async Task An_extended_header_at_the_end_of_the_archive_is_a_truncation()
    {
        var archive = new RawTar().Pax('x', PaxRecord("path", "orphan")).ToArray();

        var e = await Tar.FailsAsync(archive);

        Assert.Contains("'orphan'", e.Message);
        Assert.Contains("truncated", e.Message);
    }
}
