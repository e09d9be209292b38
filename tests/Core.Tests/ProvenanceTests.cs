using ImageCache.Core;
using LanguageExt;
using static ImageCache.Core.Tests.Support;
using static LanguageExt.Prelude;

namespace ImageCache.Core.Tests;

public class ProvenanceTests
{
    static readonly DateTimeOffset Now = Epoch.AddDays(3);

    static readonly Provenance Built = new()
    {
        ImageRef = "  busybox:1.36 ",
        ResolvedRef = "docker.io/library/busybox@" + DigestA,
        Digest = DigestA,
        IndexDigest = IndexDigestE,
        Platform = Arm64,
        OutputPath = StoreDir + "/k.ext4",
        Format = "ext4",
        Builder = "ext4",
        BuilderPhase = "complete",
        Source = "docker",
        ContentKey = new string('k', 64),
        LayerDigests = Seq(DigestB, DigestC),
        ImageEnv = toSeq(new[] { "PATH=/bin" }),
        ImageEntrypoint = toSeq(new[] { "/bin/sh" }),
        ImageCmd = Seq("-c", "true"),
        Options = BuildOptions.Default with { InitSha256 = new string('1', 64), AllowSetuid = true },
        SizeBytes = 4096,
    };

    [Fact]
    public void ToRecord_trims_the_reference_fills_the_canonical_form_and_stamps_the_time()
    {
        var record = Built.ToRecord(Now);
        Assert.Equal("busybox:1.36", record.ImageRef);
        Assert.Equal("docker.io/library/busybox:1.36", record.CanonicalRef);
        Assert.Equal(Some(Now), record.LastUsedAt);
        Assert.Equal(Some(Now), record.CreatedAt);
        Assert.Equal(new string('1', 64), record.InitSha256);
        Assert.Equal("preserved", record.SetuidPolicy);
        Assert.Equal(Seq(DigestB, DigestC), record.LayerDigests);
        Assert.Equal(Seq("-c", "true"), record.ImageCmd);
        Assert.Equal(2, record.ImageCmd.Count);
        Assert.Equal(IndexDigestE, record.IndexDigest);
        Assert.Equal(Arm64, record.Platform);
        Assert.Equal(4096, record.SizeBytes);
        // Sealing is the Host's job.
        Assert.Equal("", record.RootfsSha256);
        Assert.False(record.RootfsImmutable);
    }

    [Fact]
    public void OfCopy_describes_a_private_copy_of_the_baseline()
    {
        var baseline = Built.ToRecord(Now) with { RootfsSha256 = new string('9', 64), RootfsImmutable = true };
        var copy = Provenance.OfCopy(baseline, "/state/workspaces/vm1/rootfs.ext4");
        Assert.Equal("/state/workspaces/vm1/rootfs.ext4", copy.OutputPath);
        Assert.Equal(Provenance.CopyBuilder, copy.Builder);
        Assert.Equal(Provenance.CopyPhase, copy.BuilderPhase);
        Assert.Equal(Some(new RootfsBase(new string('9', 64), true, new string('k', 64))), copy.RootfsBase);
        Assert.Equal(baseline.Digest, copy.Digest);
        Assert.Equal(baseline.LayerDigests, copy.LayerDigests);
        Assert.True(copy.Options.AllowSetuid);
        Assert.Equal(new string('1', 64), copy.Options.InitSha256);
    }
}
