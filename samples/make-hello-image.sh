#!/usr/bin/env bash
# Regenerates samples/hello-oci: a tiny two-layer OCI image layout (linux/amd64 and linux/arm64 share the
# layers; the files are text) used by the README's first command. Deterministic: same bytes every run.
set -euo pipefail
cd "$(dirname "$0")"
out=hello-oci
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$out"
mkdir -p "$out/blobs/sha256"

tarball() { # $1 = directory, $2 = output .tar.gz; prints "<gz digest> <gz size> <tar digest>"
  (cd "$1" && tar --sort=name --mtime=@1700000000 --owner=0 --group=0 --numeric-owner --format=posix \
      --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -cf "$2.tar" .)
  gzip -n -9 -c "$2.tar" > "$2"
  echo "$(sha256sum < "$2" | cut -c1-64) $(stat -c %s "$2") $(sha256sum < "$2.tar" | cut -c1-64)"
}
put() { cp "$1" "$out/blobs/sha256/$2"; }

# Layer 1: a minimal tree.
l1="$work/l1"; mkdir -p "$l1"/{etc,bin,tmp,home/guest}
printf 'root:x:0:0:root:/root:/bin/sh\nguest:x:1000:1000::/home/guest:/bin/sh\n' > "$l1/etc/passwd"
printf 'hello from imagecache\n' > "$l1/etc/motd"
printf 'stale\n' > "$l1/etc/old.conf"
printf '#!/bin/sh\necho hello\n' > "$l1/bin/hello"; chmod 0755 "$l1/bin/hello"
chmod 1777 "$l1/tmp"
ln -s /etc/motd "$l1/etc/issue"
read -r d1 s1 diff1 <<<"$(tarball "$l1" "$work/l1.tgz")"; put "$work/l1.tgz" "$d1"

# Layer 2: replaces motd and removes old.conf with a whiteout.
l2="$work/l2"; mkdir -p "$l2/etc"
printf 'hello again, from layer 2\n' > "$l2/etc/motd"
: > "$l2/etc/.wh.old.conf"
read -r d2 s2 diff2 <<<"$(tarball "$l2" "$work/l2.tgz")"; put "$work/l2.tgz" "$d2"

manifests=""
for arch in amd64 arm64; do
  config=$(printf '{"architecture":"%s","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["/bin/hello"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s","sha256:%s"]}}' "$arch" "$diff1" "$diff2")
  printf '%s' "$config" > "$work/config"; cd_=$(sha256sum < "$work/config" | cut -c1-64); put "$work/config" "$cd_"
  manifest=$(printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%d},{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%d}]}' \
    "$cd_" "${#config}" "$d1" "$s1" "$d2" "$s2")
  printf '%s' "$manifest" > "$work/manifest"; md=$(sha256sum < "$work/manifest" | cut -c1-64); put "$work/manifest" "$md"
  manifests+=$(printf '%s{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"platform":{"architecture":"%s","os":"linux"}}' "${manifests:+,}" "$md" "${#manifest}" "$arch")
done
index=$(printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s]}' "$manifests")
printf '%s' "$index" > "$work/index"; id=$(sha256sum < "$work/index" | cut -c1-64); put "$work/index" "$id"
printf '{"imageLayoutVersion":"1.0.0"}' > "$out/oci-layout"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:%s","size":%d,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}\n' "$id" "${#index}" > "$out/index.json"
echo "wrote $out (index sha256:$id)"
