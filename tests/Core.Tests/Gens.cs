using System;
using System.Collections.Generic;
using System.Linq;
using CsCheck;
using ImageCache.Core;
using LanguageExt;
using LanguageExt.ClassInstances;
using static LanguageExt.Prelude;

namespace ImageCache.Core.Tests;

/// <summary>
/// CsCheck generators for the core's values, one per domain type, composed with LINQ (the CsCheck "Gen module"
/// style). Records are drawn from small pools of names, digests and paths so that collisions happen often: two
/// spellings of one canonical reference, records sharing a baseline file or a digest, digests sharing a
/// 12-hex prefix, files outside the store, a symlinked parent that resolves outside, empty paths and missing files.
/// Every generator is pure and thread-safe (CsCheck samples on several threads), and nothing here depends on
/// other test files, so the file can be linked into other test projects.
/// </summary>
public static class Gens
{
    // ----- fixed pools --------------------------------------------------------------------------------------

    /// <summary>The resolved baseline store directory every generated <see cref="StoreFacts"/> uses.</summary>
    public const string StoreDir = "/state/images/rootfs";

    /// <summary>The first 12 hex digits <see cref="DigestPool"/>[0] and [1] share (an ambiguous prefix).</summary>
    public const string SharedPrefix = "0123456789ab";

    /// <summary>Manifest digests of the record pool; the first two share <see cref="SharedPrefix"/>.</summary>
    public static readonly string[] DigestPool =
    {
        "sha256:" + SharedPrefix + new string('1', 52),
        "sha256:" + SharedPrefix + new string('2', 52),
        "sha256:" + new string('c', 64),
        "sha256:" + new string('d', 64),
    };

    /// <summary>Multi-arch index digests of the record pool.</summary>
    public static readonly string[] IndexDigestPool =
    {
        "sha256:" + new string('e', 64),
        "sha256:" + new string('f', 64),
    };

    /// <summary>
    /// Typed references of the record pool: two spellings of Docker Hub's busybox (one canonical form), a
    /// digest-pinned name, other registries, and one string that is not a reference at all (its canonical form is empty).
    /// </summary>
    public static readonly string[] NamePool =
    {
        "busybox",
        "docker.io/library/busybox:latest",
        "busybox:1.36",
        "alpine:3.20",
        "ghcr.io/acme/tool:v1",
        "localhost:5000/team/app:1",
        "local/busybox:tagged",
        "alpine@" + "sha256:" + new string('c', 64),
        "Not A Ref",
    };

    /// <summary>A baseline inside the store.</summary>
    public const string PathA = StoreDir + "/a.ext4";
    /// <summary>Another baseline inside the store.</summary>
    public const string PathB = StoreDir + "/b.ext4";
    /// <summary>A squashfs baseline inside the store.</summary>
    public const string PathC = StoreDir + "/c.sqfs";
    /// <summary>A baseline in a nested directory of the store (still inside).</summary>
    public const string PathNested = StoreDir + "/nested/d.ext4";
    /// <summary>A workspace rootfs recorded by the original's RecordProvenance flow: outside the store.</summary>
    public const string PathWorkspace = "/state/workspaces/research/rootfs.ext4";
    /// <summary>A path under a symlinked directory of the store that points outside (<c>link → /outside</c>).</summary>
    public const string PathSymlinked = StoreDir + "/link/victim.ext4";
    /// <summary>Where <see cref="PathSymlinked"/> really is.</summary>
    public const string PathSymlinkedResolved = "/outside/victim.ext4";
    /// <summary>A path through a symlinked alias of the store (<c>/state/images/alias → rootfs</c>): resolves to <see cref="PathB"/>.</summary>
    public const string PathAlias = "/state/images/alias/b.ext4";
    /// <summary>Store files no record references.</summary>
    public static readonly string[] OrphanPool = { StoreDir + "/orphan-1.ext4", StoreDir + "/orphan-2.sqfs" };

    /// <summary>Output paths of the record pool (the empty string is a record with no baseline path).</summary>
    public static readonly string[] PathPool = { PathA, PathB, PathC, PathNested, PathWorkspace, PathSymlinked, PathAlias, "" };

    /// <summary>Where each non-empty pool path resolves to (parent symlinks followed).</summary>
    public static string ResolvedPathOf(string outputPath) => outputPath switch
    {
        PathSymlinked => PathSymlinkedResolved,
        PathAlias => PathB,
        _ => outputPath,
    };

    /// <summary>Platforms of the record pool.</summary>
    public static readonly Platform[] PlatformPool =
    {
        new("linux", "amd64"),
        new("linux", "arm64"),
        new("linux", "arm", "v7"),
    };

    /// <summary>The instant generated times are offsets from.</summary>
    public static readonly DateTimeOffset Epoch = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // ----- strings, digests, references -------------------------------------------------------------------

    const string LowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789";
    const string TagChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
    const string TagFirstChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";

    static readonly Gen<string> AlnumRun = Gen.Char[LowerAlnum].Array[1, 5].Select(a => new string(a));

    /// <summary>A repository path component: <c>[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*</c>.</summary>
    public static readonly Gen<string> PathComponent =
        Gen.Select(AlnumRun, Gen.OneOf("", ".", "_", "__", "-", "--"), AlnumRun)
            .Select((head, separator, tail) => separator.Length == 0 ? head : head + separator + tail);

    /// <summary>A tag: <c>[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}</c> (kept short).</summary>
    public static readonly Gen<string> TagText =
        Gen.Select(Gen.Char[TagFirstChars], Gen.Char[TagChars].Array[0, 10])
            .Select((first, rest) => first + new string(rest));

    /// <summary>64 lowercase hex digits.</summary>
    public static readonly Gen<string> Hex64 = Gen.Byte.Array[32].Select(b => Convert.ToHexStringLower(b));

    /// <summary>A sha256 digest.</summary>
    public static readonly Gen<Digest> Sha256Digest = Hex64.Select(hex => new Digest("sha256", hex));

    /// <summary>A digest: mostly sha256, sometimes sha512 or an algorithm the grammar allows but nobody checks.</summary>
    public static readonly Gen<Digest> Digest = Gen.Frequency(
        (6, (IGen<Digest>)Sha256Digest),
        (1, Gen.Byte.Array[64].Select(b => new Digest("sha512", Convert.ToHexStringLower(b)))),
        (1, Gen.Select(AlnumRun, Gen.OneOf("+", ".", "_", "-"), AlnumRun, Gen.Char["abcXYZ019=_-"].Array[1, 20])
            .Select((a, sep, b, enc) => new Digest(a + sep + b, new string(enc)))));

    /// <summary>Registries: Docker Hub, loopback with and without a port, GHCR, an IPv6 literal and a dotted host with a port.</summary>
    public static readonly Gen<string> Registry =
        Gen.OneOf("docker.io", "localhost:5000", "localhost", "ghcr.io", "quay.io", "registry.example.com:443", "[::1]:5000");

    /// <summary>
    /// A valid, normalised <see cref="ImageRef"/>: Docker Hub names have at least two components (<c>library/</c>
    /// for official images), a reference without a digest has a tag, and a digest-pinned one may have a tag too.
    /// </summary>
    public static readonly Gen<ImageRef> ImageRef =
        from registry in Registry
        from components in PathComponent.Array[1, 3]
        from tag in Gen.Frequency((3, (IGen<string>)TagText), (1, Gen.Const("")))
        from digest in Gen.Frequency((2, (IGen<Option<Digest>>)Gen.Const(Option<Digest>.None)), (1, Sha256Digest.Select(d => Some(d))))
        let repository = registry == Core.ImageRef.DockerHub && components.Length == 1
            ? "library/" + components[0]
            : string.Join('/', components)
        select new ImageRef(registry, repository, tag.Length == 0 && digest.IsNone ? Core.ImageRef.DefaultTag : tag, digest);

    /// <summary>
    /// Reference strings as users type them: optional registry in any spelling (<c>index.docker.io</c>, upper-case
    /// hosts), one to three components, optional tag and digest, optional surrounding spaces, and now and then a
    /// character that makes it invalid. Most parse; some do not.
    /// </summary>
    public static readonly Gen<string> ReferenceText =
        from prefix in Gen.OneOf("", "", "docker.io/", "index.docker.io/", "registry-1.docker.io/", "DOCKER.IO/", "ghcr.io/", "GHCR.IO/",
            "localhost/", "localhost:5000/", "Registry.Example.com:443/", "[::1]:5000/")
        from components in PathComponent.Array[1, 3]
        from tag in Gen.Frequency((2, (IGen<string>)TagText.Select(t => ":" + t)), (1, Gen.Const("")))
        from digest in Gen.Frequency((3, (IGen<string>)Gen.Const("")), (1, Sha256Digest.Select(d => "@" + d)))
        from spaces in Gen.OneOf("", "", "", " ", "\t")
        from junk in Gen.Frequency((8, (IGen<string>)Gen.Const("")), (1, Gen.OneOf("A", "/", "//", ":", "@", " x", "\0", "é")))
        from junkAt in Gen.Int[0, 100]
        let text = prefix + string.Join('/', components) + tag + digest
        let at = junkAt * text.Length / 100
        select spaces + text[..at] + junk + text[at..] + spaces;

    /// <summary>A platform: common ones, and arbitrary <c>os/arch[/variant]</c> made of lowercase alphanumerics.</summary>
    public static readonly Gen<Platform> Platform = Gen.Frequency(
        (3, (IGen<Platform>)Gen.OneOf(
            new Platform("linux", "amd64"), new Platform("linux", "arm64"), new Platform("linux", "arm64", "v8"),
            new Platform("linux", "arm", "v7"), new Platform("linux", "386"), new Platform("windows", "amd64"))),
        (1, Gen.Select(AlnumRun, AlnumRun, Gen.Frequency((1, (IGen<string>)AlnumRun), (1, Gen.Const(""))))
            .Select((os, arch, variant) => new Platform(os, Core.Platform.NormalizeArchitecture(arch), variant))));

    // ----- records, indexes, facts ------------------------------------------------------------------------

    /// <summary>A time in the generated window: <see cref="Epoch"/> plus 0–100 days in whole hours.</summary>
    public static readonly Gen<DateTimeOffset> Time = Gen.Int[0, 2400].Select(h => Epoch.AddHours(h));

    /// <summary>"Now" for commands: late in the window, so most generated times are in the past.</summary>
    public static readonly Gen<DateTimeOffset> Now = Gen.Int[2000, 2600].Select(h => Epoch.AddHours(h));

    /// <summary>
    /// A record from the pools. <c>canonical_ref</c> is either the canonical form of <c>image_ref</c> or empty (a record
    /// of the original, whose canonical form is computed), so two records of one key always agree on it.
    /// </summary>
    public static readonly Gen<ImageRecord> Record =
        from name in Gen.OneOf(NamePool)
        from legacy in Gen.Bool
        from digest in Gen.OneOf(DigestPool)
        from indexDigest in Gen.Frequency((1, (IGen<string>)Gen.Const("")), (1, Gen.OneOf(IndexDigestPool)))
        from platform in Gen.OneOf(PlatformPool)
        from path in Gen.OneOf(PathPool)
        from lastUsed in Gen.Frequency((1, (IGen<Option<DateTimeOffset>>)Gen.Const(Option<DateTimeOffset>.None)), (4, Time.Select(t => Some(t))))
        from resolved in Gen.Bool
        from size in Gen.Long[0, 1L << 30]
        let canonical = Core.ImageRef.CanonicalOf(name).IfNone("")
        select new ImageRecord
        {
            ImageRef = name,
            CanonicalRef = legacy ? "" : canonical,
            ResolvedRef = resolved && canonical.Length > 0 ? Core.ImageRef.Parse(canonical).Map(r => r.Name).IfFail("") + "@" + digest : "",
            Digest = digest,
            IndexDigest = indexDigest,
            Platform = platform,
            OutputPath = path,
            SizeBytes = size,
            LastUsedAt = lastUsed,
            CreatedAt = lastUsed,
            Format = path.EndsWith(".sqfs", StringComparison.Ordinal) ? "squashfs" : "ext4",
            Builder = "ext4",
            Source = "docker",
        };

    static readonly Gen<string> Text = Gen.Frequency(
        (4, (IGen<string>)Gen.Char["abcXYZ019 _-./=:"].Array[0, 12].Select(a => new string(a))),
        (1, Gen.OneOf("", "quote\"back\\slash", "tab\there\nnewline", "ünïcødé ✓", "<html>&amp;", "\u0001ctl")));

    static readonly Gen<Seq<string>> Texts = Text.Array[0, 3].Select(a => toSeq(a).Strict());

    static readonly Gen<Map<OrdStringOrdinal, string, string>> Labels =
        Gen.Select(Gen.OneOf("org.opencontainers.image.title", "maintainer", "a", "Z", "é"), Text).Array[0, 3]
            .Select(pairs => pairs.Aggregate(LanguageExt.Map<OrdStringOrdinal, string, string>.Empty, (m, p) => m.AddOrUpdate(p.Item1, p.Item2)));

    /// <summary>Raw JSON values as an index written by another version might hold them (compact form).</summary>
    static readonly Gen<Map<OrdStringOrdinal, string, string>> Extensions =
        Gen.Select(Gen.OneOf("image_defaults", "future_field", "x-vendor"), Gen.OneOf("{\"a\":1}", "[1,2,3]", "\"text\"", "true", "42", "null", "{}"))
            .Array[0, 2]
            .Select(pairs => pairs.Aggregate(LanguageExt.Map<OrdStringOrdinal, string, string>.Empty, (m, p) => m.AddOrUpdate(p.Item1, p.Item2)));

    static readonly Gen<ImageConfig> ImageConfig =
        from user in Gen.OneOf("", "1000:1000", "root")
        from workingDir in Gen.OneOf("", "/", "/app")
        from stopSignal in Gen.OneOf("", "SIGTERM", "SIGINT")
        from labels in Labels
        from ports in Gen.OneOf("80/tcp", "443/tcp", "53/udp").Array[0, 2]
        from volumes in Gen.OneOf("/data", "/var/lib/x").Array[0, 2]
        select new ImageConfig(user, workingDir, stopSignal, labels,
            toSeq(ports.Distinct().OrderBy(p => p, StringComparer.Ordinal).ToArray()),
            toSeq(volumes.Distinct().OrderBy(v => v, StringComparer.Ordinal).ToArray()));

    /// <summary>A time to the whole second, in UTC (what an RFC 3339 field carries).</summary>
    public static readonly Gen<DateTimeOffset> UtcSecond = Gen.Int[0, 100 * 24 * 3600].Select(s => Epoch.AddSeconds(s));

    /// <summary>
    /// A pool record with every field filled in (env, entrypoint, cmd, config, layers, seal, extensions with raw JSON,
    /// awkward strings to escape), for serialisation round trips. Times are whole seconds in UTC.
    /// </summary>
    public static readonly Gen<ImageRecord> RichRecord =
        from record in Record
        from created in Gen.Frequency((1, (IGen<Option<DateTimeOffset>>)Gen.Const(Option<DateTimeOffset>.None)), (3, UtcSecond.Select(t => Some(t))))
        from used in Gen.Frequency((1, (IGen<Option<DateTimeOffset>>)Gen.Const(Option<DateTimeOffset>.None)), (3, UtcSecond.Select(t => Some(t))))
        from sealHash in Gen.Frequency((1, (IGen<string>)Gen.Const("")), (2, Hex64))
        from initHash in Gen.Frequency((2, (IGen<string>)Gen.Const("")), (1, Hex64))
        from policy in Gen.OneOf("", "stripped", "preserved")
        from env in Texts
        from entrypoint in Texts
        from cmd in Texts
        from config in Gen.Frequency((1, (IGen<Option<ImageConfig>>)Gen.Const(Option<ImageConfig>.None)), (2, ImageConfig.Select(c => Some(c))))
        from layers in Gen.OneOf(DigestPool).Array[0, 3]
        from contentKey in Gen.Frequency((1, (IGen<string>)Gen.Const("")), (2, Hex64))
        from extensions in Extensions
        from builder in Gen.OneOf("ext4", "mke2fs", "squashfs", "")
        select record with
        {
            CreatedAt = created,
            LastUsedAt = used,
            RootfsSha256 = sealHash,
            RootfsImmutable = sealHash.Length > 0,
            InitSha256 = initHash,
            SetuidPolicy = policy,
            ImageEnv = env,
            ImageEntrypoint = entrypoint,
            ImageCmd = cmd,
            ImageConfig = config,
            LayerDigests = toSeq(layers).Strict(),
            ContentKey = contentKey,
            Extensions = extensions,
            Builder = builder,
        };

    /// <summary>A well-formed index of <see cref="RichRecord"/>s.</summary>
    public static readonly Gen<ImageIndex> RichIndex =
        RichRecord.Array[0, 6].Select(records => records.Aggregate(ImageIndex.Empty, (index, record) => UpsertInto(index, record)));

    /// <summary>A well-formed index: records upserted one by one (so keys are unique and the order is sorted).</summary>
    public static readonly Gen<ImageIndex> Index =
        Record.Array[0, 8].Select(records => records.Aggregate(ImageIndex.Empty, (index, record) => UpsertInto(index, record)));

    /// <summary>Any index, as it might be read from disk: unsorted, possibly with duplicate keys or duplicate records.</summary>
    public static readonly Gen<ImageIndex> RawIndex = Record.Array[0, 8].Select(records => new ImageIndex(toSeq(records).Strict()));

    /// <summary>
    /// File-system facts consistent with the pools: every non-empty pool path is reported with its resolved path
    /// (<see cref="ResolvedPathOf"/>); each resolved file exists or not (mostly it does), and paths resolving to one
    /// file agree; store files are the existing files inside the store plus, sometimes, orphans.
    /// </summary>
    public static readonly Gen<StoreFacts> Facts =
        from exists in Gen.Frequency((4, (IGen<bool>)Gen.Const(true)), (1, Gen.Const(false))).Array[PathPool.Length]
        from orphans in Gen.Bool.Array[OrphanPool.Length]
        select MakeFacts(exists, orphans);

    static StoreFacts MakeFacts(bool[] exists, bool[] orphans)
    {
        // Existence is decided per resolved file, so two paths to one file never disagree.
        var resolvedFiles = PathPool.Where(p => p.Length > 0).Select(ResolvedPathOf).Distinct().OrderBy(p => p, StringComparer.Ordinal).ToArray();
        var existing = resolvedFiles.Where((_, i) => exists[i]).ToHashSet(StringComparer.Ordinal);
        var files = LanguageExt.Map<OrdStringOrdinal, string, FileFact>.Empty;
        foreach (var path in PathPool.Where(p => p.Length > 0))
        {
            var resolved = ResolvedPathOf(path);
            files = files.AddOrUpdate(path, new FileFact(resolved, existing.Contains(resolved)));
        }
        var storeFiles = existing.Where(p => StoreRules.IsInsideStore(StoreDir, p))
            .Concat(OrphanPool.Where((_, i) => orphans[i]))
            .OrderBy(p => p, StringComparer.Ordinal);
        return new StoreFacts(StoreDir, files, toSeq(storeFiles.ToArray()));
    }

    /// <summary>Builds facts for explicit paths: <c>(output path, resolved path, exists)</c>, store dir <see cref="StoreDir"/>.</summary>
    public static StoreFacts FactsOf(IEnumerable<(string OutputPath, string Resolved, bool Exists)> entries, IEnumerable<string>? orphans = null)
    {
        var list = entries.ToArray();
        var files = LanguageExt.Map<OrdStringOrdinal, string, FileFact>.Empty;
        foreach (var (outputPath, resolved, exists) in list)
            files = files.AddOrUpdate(outputPath, new FileFact(resolved, exists));
        var storeFiles = list.Where(e => e.Exists && StoreRules.IsInsideStore(StoreDir, e.Resolved)).Select(e => e.Resolved)
            .Concat(orphans ?? Enumerable.Empty<string>())
            .Distinct()
            .OrderBy(p => p, StringComparer.Ordinal)
            .ToArray();
        return new StoreFacts(StoreDir, files, toSeq(storeFiles));
    }

    static ImageIndex UpsertInto(ImageIndex index, ImageRecord record) =>
        Core.Index.Reduce(index, new IndexCommand.Upsert(record)).Match(r => r.Index, e => throw new InvalidOperationException(e.Message));

    // ----- references users type at the index ----------------------------------------------------------------

    /// <summary>
    /// References aimed at the pools: typed names and their other spellings, canonical forms, full digests
    /// (manifest and index), <c>repository@digest</c>, 12-hex prefixes with and without <c>sha256:</c> (one of them
    /// ambiguous), a too-short prefix, names that match nothing, and blank input.
    /// </summary>
    public static readonly Gen<string> Reference = Gen.Frequency(
        (6, (IGen<string>)Gen.OneOf(NamePool)),
        (2, Gen.OneOf(NamePool).Select(n => Core.ImageRef.CanonicalOf(n).IfNone(n))),
        (3, Gen.OneOf(DigestPool)),
        (1, Gen.OneOf(IndexDigestPool)),
        (1, Gen.Select(Gen.OneOf("busybox", "alpine", "ghcr.io/acme/tool"), Gen.OneOf(DigestPool.Concat(IndexDigestPool).ToArray()))
            .Select((name, digest) => name + "@" + digest)),
        (1, Gen.OneOf(DigestPool.Concat(IndexDigestPool).ToArray()).Select(d => d[7..19])),
        (1, Gen.OneOf(DigestPool.Concat(IndexDigestPool).ToArray()).Select(d => d[..23])),
        (1, Gen.OneOf(DigestPool).Select(d => d[7..18])),
        (1, Gen.OneOf("nothing/here:1", "", "   ", "sha256:" + new string('9', 64), "busybox:nope")));

    /// <summary>Targets of a Tag: valid new names, names already in the pool, and invalid ones (empty, digest-pinned, not a reference).</summary>
    public static readonly Gen<string> TagTarget = Gen.Frequency(
        (4, (IGen<string>)Gen.OneOf("local/busybox:tagged", "mine/app:dev", "busybox", "alpine:edge", "ghcr.io/acme/tool:v2")),
        (1, Gen.OneOf("", "  ", "sha256:" + new string('c', 64), "busybox@sha256:" + new string('c', 64), "Bad Target", "UPPER/x", "a\nb")));

    /// <summary>A retention policy: none most of the time, otherwise an age and/or a per-repository count, sometimes negative.</summary>
    public static readonly Gen<RetentionPolicy> Policy = Gen.Frequency(
        (3, (IGen<RetentionPolicy>)Gen.Const(RetentionPolicy.None)),
        (2, Gen.Select(
                Gen.Frequency((1, (IGen<Option<TimeSpan>>)Gen.Const(Option<TimeSpan>.None)), (2, Gen.Int[-24, 2400].Select(h => Some(TimeSpan.FromHours(h))))),
                Gen.Frequency((1, (IGen<Option<int>>)Gen.Const(Option<int>.None)), (2, Gen.Int[-1, 3].Select(n => Some(n)))))
            .Select((age, count) => new RetentionPolicy(age, count))));

    /// <summary>Upsert of a pool record.</summary>
    public static readonly Gen<IndexCommand> UpsertCommand = Record.Select(r => (IndexCommand)new IndexCommand.Upsert(r));
    /// <summary>Tag of a pool reference to a target.</summary>
    public static readonly Gen<IndexCommand> TagCommand = Gen.Select(Reference, TagTarget, Now).Select((s, t, now) => (IndexCommand)new IndexCommand.Tag(s, t, now));
    /// <summary>Remove, with or without purge.</summary>
    public static readonly Gen<IndexCommand> RemoveCommand = Gen.Select(Reference, Gen.Bool, Facts).Select((r, purge, facts) => (IndexCommand)new IndexCommand.Remove(r, purge, facts));
    /// <summary>Remove without purge (what the model understands).</summary>
    public static readonly Gen<IndexCommand> RemoveWithoutPurgeCommand = Gen.Select(Reference, Facts).Select((r, facts) => (IndexCommand)new IndexCommand.Remove(r, false, facts));
    /// <summary>Prune, with or without purge and policy.</summary>
    public static readonly Gen<IndexCommand> PruneCommand = Gen.Select(Gen.Bool, Facts, Now, Policy).Select((purge, facts, now, policy) => (IndexCommand)new IndexCommand.Prune(purge, facts, now, policy));
    /// <summary>Touch of a pool reference.</summary>
    public static readonly Gen<IndexCommand> TouchCommand = Gen.Select(Reference, Now).Select((r, now) => (IndexCommand)new IndexCommand.Touch(r, now));

    /// <summary>Any command.</summary>
    public static readonly Gen<IndexCommand> Command = Gen.Frequency(
        (4, (IGen<IndexCommand>)UpsertCommand), (2, TagCommand), (2, RemoveCommand), (1, PruneCommand), (1, TouchCommand));

    /// <summary>The commands the model of <c>IndexModelTests</c> understands: Upsert, Tag, Remove without purge, Touch.</summary>
    public static readonly Gen<IndexCommand> ModelCommand = Gen.Frequency(
        (4, (IGen<IndexCommand>)UpsertCommand), (2, TagCommand), (2, RemoveWithoutPurgeCommand), (1, TouchCommand));

    /// <summary>A sequence of any commands.</summary>
    public static readonly Gen<IndexCommand[]> Commands = Command.Array[0, 12];

    /// <summary>A sequence of model commands.</summary>
    public static readonly Gen<IndexCommand[]> ModelCommands = ModelCommand.Array[0, 16];
}
