using System.Text.Json;
using System.Text.Json.Nodes;
using ImageCache.Core;
using ImageCache.Host.Storage;
using Xunit;

namespace ImageCache.Host.Tests.Storage;

/// <summary>An index.json written by the Go original (origin-behaviour §2.2, §2.3, §3.13) reads, and writes back without loss.</summary>
public sealed class GoIndexFormatTests : IDisposable
{
    readonly StorageSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    // As the original's json.MarshalIndent wrote it: full records with the struct-typed image_defaults (always
    // serialised, its inner names never pinned), an older record with only the first seven fields, and one with a variant.
    const string GoIndex = """
        {
          "images": [
            {
              "image_ref": "busybox",
              "resolved_ref": "docker.io/library/busybox@sha256:9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7",
              "digest": "sha256:9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7",
              "platform": {
                "os": "linux",
                "architecture": "arm64"
              },
              "output_path": "/home/dev/.microagent/images/rootfs/3f1c2a9b8d7e6f5a4b3c2d1e.ext4",
              "size_bytes": 73400320,
              "last_used_at": "2026-06-20T09:14:03Z",
              "rootfs_sha256": "5d41402abc4b2a76b9719d911017c592ae1b6b1b0c6fbd8e1a2e3f4a5b6c7d8e",
              "rootfs_immutable": true,
              "init_sha256": "0f343b0931126a20f133d67c2b018a3b5a1d8f6b7e4c3d2a190817161514131c",
              "setuid_policy": "stripped",
              "image_env": [
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
              ],
              "image_entrypoint": [
                "/bin/sh",
                "-c"
              ],
              "image_cmd": [
                "sh"
              ],
              "image_defaults": {
                "User": "",
                "Env": [
                  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
                ],
                "Entrypoint": null,
                "Cmd": [
                  "sh"
                ],
                "WorkingDir": "",
                "StopSignal": "",
                "Labels": null,
                "ExposedPorts": null,
                "Volumes": null
              }
            },
            {
              "image_ref": "python:3.13-slim",
              "resolved_ref": "docker.io/library/python@sha256:2f7e8b1c0d9a4e3f6b5a7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f",
              "digest": "sha256:2f7e8b1c0d9a4e3f6b5a7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f",
              "platform": {
                "os": "linux",
                "architecture": "amd64"
              },
              "output_path": "/home/dev/.microagent/workspaces/research/rootfs.ext4",
              "size_bytes": 524288000,
              "last_used_at": "2026-05-30T12:00:00Z"
            },
            {
              "image_ref": "arm32/alpine:3.20",
              "resolved_ref": "docker.io/arm32/alpine@sha256:1111111111111111111111111111111111111111111111111111111111111111",
              "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111",
              "platform": {
                "os": "linux",
                "architecture": "arm",
                "variant": "v7"
              },
              "output_path": "/home/dev/.microagent/images/rootfs/0a1b2c3d4e5f60718293a4b5.ext4",
              "size_bytes": 8388608,
              "last_used_at": "2026-04-01T00:00:00Z",
              "rootfs_sha256": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
              "rootfs_immutable": true,
              "setuid_policy": "preserved"
            }
          ]
        }
        """;

    [Fact]
    public void An_index_the_original_wrote_lists_every_record_with_its_fields()
    {
        sandbox.WriteRawIndex(GoIndex);

        var records = sandbox.Store.Read().Images;

        Assert.Equal(3, records.Count);
        var busybox = records.Single(r => r.ImageRef == "busybox");
        Assert.Equal("sha256:9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7", busybox.Digest);
        Assert.Equal(new Platform("linux", "arm64"), busybox.Platform);
        Assert.Equal("/home/dev/.microagent/images/rootfs/3f1c2a9b8d7e6f5a4b3c2d1e.ext4", busybox.OutputPath);
        Assert.Equal(73400320, busybox.SizeBytes);
        Assert.Equal(new DateTimeOffset(2026, 6, 20, 9, 14, 3, TimeSpan.Zero), busybox.LastUsedAt);
        Assert.True(busybox.RootfsImmutable);
        Assert.Equal("stripped", busybox.SetuidPolicy);
        Assert.Equal(new[] { "/bin/sh", "-c" }, busybox.ImageEntrypoint.ToArray());
        Assert.Equal(new[] { "sh" }, busybox.ImageCmd.ToArray());
        Assert.True(busybox.Extensions.ContainsKey("image_defaults"), "the unknown field image_defaults was not kept");

        var python = records.Single(r => r.ImageRef == "python:3.13-slim");
        Assert.Equal(524288000, python.SizeBytes);
        Assert.Equal("", python.RootfsSha256);
        Assert.False(python.RootfsImmutable);
        Assert.True(python.ImageCmd.IsEmpty);
        Assert.True(python.Extensions.IsEmpty);

        var alpine = records.Single(r => r.ImageRef == "arm32/alpine:3.20");
        Assert.Equal(new Platform("linux", "arm", "v7"), alpine.Platform);
    }

    [Fact]
    public void Writing_an_index_the_original_wrote_keeps_every_field_under_its_original_name_and_value()
    {
        sandbox.WriteRawIndex(GoIndex);

        sandbox.Store.Write(sandbox.Store.Read());

        var before = JsonNode.Parse(GoIndex)!["images"]!.AsArray();
        var after = JsonNode.Parse(File.ReadAllText(sandbox.Layout.IndexFile))!["images"]!.AsArray();
        Assert.Equal(before.Count, after.Count);
        foreach (var original in before)
        {
            var imageRef = (string)original!["image_ref"]!;
            var written = after.Single(r => (string)r!["image_ref"]! == imageRef)!.AsObject();
            foreach (var (name, value) in original.AsObject())
            {
                Assert.True(written.ContainsKey(name), $"{imageRef}: field {name} was dropped on write");
                Assert.True(JsonNode.DeepEquals(value, written[name]), $"{imageRef}: field {name} changed from {value?.ToJsonString()} to {written[name]?.ToJsonString()}");
            }
        }
    }

    [Fact]
    public void Writing_an_index_the_original_wrote_adds_no_null_arrays_and_keeps_its_layout()
    {
        sandbox.WriteRawIndex(GoIndex);

        sandbox.Store.Write(sandbox.Store.Read());

        var text = File.ReadAllText(sandbox.Layout.IndexFile);
        Assert.StartsWith("{\n  \"images\": [\n    {\n      \"image_ref\": ", text);
        Assert.EndsWith("}\n", text);
        using var document = JsonDocument.Parse(text);
        foreach (var record in document.RootElement.GetProperty("images").EnumerateArray())
            foreach (var field in record.EnumerateObject().Where(f => f.Name != "image_defaults")) // the original's own nulls inside it are carried as they were
                Assert.NotEqual(JsonValueKind.Null, field.Value.ValueKind);
    }

    [Fact]
    public void An_index_the_original_emptied_with_images_null_reads_as_empty_and_is_written_back_as_an_empty_array()
    {
        sandbox.WriteRawIndex("{\n  \"images\": null\n}\n");

        var index = sandbox.Store.Read();
        Assert.True(index.Images.IsEmpty);

        sandbox.Store.Write(index);
        using var document = JsonDocument.Parse(File.ReadAllBytes(sandbox.Layout.IndexFile));
        var images = document.RootElement.GetProperty("images");
        Assert.Equal(JsonValueKind.Array, images.ValueKind);
        Assert.Equal(0, images.GetArrayLength());
    }

    [Fact]
    public void A_missing_index_reads_as_empty_without_creating_anything()
    {
        Assert.True(sandbox.Store.Read().Images.IsEmpty);
        Assert.False(Directory.Exists(sandbox.State), "reading created the state directory");
    }

    [Fact]
    public void A_record_written_by_this_version_reads_back_equal()
    {
        var record = StorageSandbox.Record("busybox", StorageSandbox.Sha('b'), "/x/images/rootfs/b.ext4") with
        {
            CanonicalRef = "docker.io/library/busybox:latest",
            IndexDigest = StorageSandbox.Sha('c'),
            RootfsSha256 = new string('d', 64),
            RootfsImmutable = true,
            ImageEnv = LanguageExt.Seq.create("A=1", "B=2"),
            LayerDigests = LanguageExt.Seq.create(StorageSandbox.Sha('e')),
            Format = "ext4",
            Builder = "ext4",
            Source = "docker",
            ContentKey = new string('f', 64),
            CreatedAt = LanguageExt.Prelude.Some(new DateTimeOffset(2026, 1, 2, 3, 4, 5, 600, TimeSpan.Zero)),
        };
        sandbox.WriteIndex(record);

        var read = Assert.Single(sandbox.Store.Read().Images);
        Assert.Equal(record, read);
    }
}
