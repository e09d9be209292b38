#!/usr/bin/env bash
# `imagecache pull` from a loopback registry against the pipeline users have today (issue 5, "Benchmark"):
#   1. cold pull into an empty state directory   vs  skopeo copy docker://… oci:DIR + umoci unpack + mke2fs -t ext4 -d
#      (target: ours <= 1/3 of the peer), with the floor `gzip -dc layer > /dev/null` for scale;
#   2. warm pull of the same image again          vs  `imagecache list` on the same state directory (target <= 1.5x);
#   3. peak RSS of the cold pull (/usr/bin/time -v; target < 300 MB).
# The two sides alternate, RUNS times each (default 5); medians are quoted.
#
# The image: a Debian bookworm minbase tree (debootstrap --variant=minbase), one gzip layer, hand-made OCI config and
# manifest, pushed with skopeo to a docker-registry bound to 127.0.0.1 on a free port (stopped on exit).
#
#   bench/pull-vs-pipeline.sh             # root: installs what is missing, debootstraps into a temp dir
#   BENCH_DIR=/tmp/ext4-bench ...         # reuses BENCH_DIR/rootfs (and BENCH_DIR/rootfs.tar) when present;
#                                         #   debootstraps there otherwise and keeps it. Nothing else is written there.
#   RUNS=7 CLI_DIR=DIR ...                # more runs; use an already published CLI instead of publishing one
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
runs=${RUNS:-5}
export PATH="$PATH:/usr/sbin:/sbin"

missing=()
for entry in debootstrap:debootstrap mke2fs:e2fsprogs skopeo:skopeo umoci:umoci docker-registry:docker-registry gzip:gzip; do
  command -v "${entry%%:*}" >/dev/null 2>&1 || missing+=("${entry#*:}")
done
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

work=$(mktemp -d /var/tmp/pull-bench.XXXXXX)
registry_pid=
cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The tree and its tar (reused from BENCH_DIR when another benchmark already made them).
tree_dir=${BENCH_DIR:-$work}
mkdir -p "$tree_dir"
rootfs="$tree_dir/rootfs"
if [ ! -x "$rootfs/bin/sh" ]; then
  rm -rf "$rootfs"
  echo "debootstrap --variant=minbase bookworm $rootfs" >&2
  debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$tree_dir/debootstrap.log" 2>&1
  rm -f "$tree_dir/rootfs.tar"
fi
tarball="$tree_dir/rootfs.tar"
if [ ! -s "$tarball" ]; then
  tarball="$work/rootfs.tar"
  tar --format=pax --numeric-owner --xattrs --xattrs-include='*' -C "$rootfs" -cf "$tarball" .
fi

# An OCI layout with one image, one gzip layer.
layout="$work/layout"
mkdir -p "$layout/blobs/sha256"
gzip -6 -n -c "$tarball" >"$work/layer.tar.gz"
diff_id=$(sha256sum "$tarball" | cut -d' ' -f1)
layer_digest=$(sha256sum "$work/layer.tar.gz" | cut -d' ' -f1)
layer_size=$(stat -c %s "$work/layer.tar.gz")
cp "$work/layer.tar.gz" "$layout/blobs/sha256/$layer_digest"
blob() { # blob FILE → writes it into the layout, prints "digest size"
  local digest; digest=$(sha256sum "$1" | cut -d' ' -f1)
  cp "$1" "$layout/blobs/sha256/$digest"
  echo "$digest $(stat -c %s "$1")"
}
printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/bash"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created_by":"debootstrap --variant=minbase bookworm"}]}' \
  "$diff_id" >"$work/config.json"
read -r config_digest config_size < <(blob "$work/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
  "$config_digest" "$config_size" "$layer_digest" "$layer_size" >"$work/manifest.json"
read -r manifest_digest manifest_size < <(blob "$work/manifest.json")
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}' \
  "$manifest_digest" "$manifest_size" >"$layout/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"

# A loopback registry on a free port.
for _ in $(seq 1 50); do
  port=$((20000 + RANDOM % 40000))
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
done
printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s/registry\nhttp:\n  addr: 127.0.0.1:%s\n' \
  "$work" "$port" >"$work/registry.yml"
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
image="127.0.0.1:$port/bench:v1"
skopeo copy -q "oci:$layout:v1" "docker://$image" --dest-tls-verify=false

# The published CLI (ReadyToRun, framework-dependent), as users run it.
cli_dir=${CLI_DIR:-$work/cli}
if [ -z "${CLI_DIR:-}" ]; then
  dotnet publish src/Cli -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$cli_dir" -m:1 -nologo -v q >/dev/null
fi
imagecache="$cli_dir/imagecache"
[ -x "$imagecache" ] || { echo "no published CLI at $imagecache" >&2; exit 1; }

# now_s: wall clock in seconds with nanoseconds. timed OUTFILE CMD…: appends the elapsed seconds of CMD to OUTFILE.
now_s() { date +%s.%N; }
timed() {
  local out=$1; shift
  local start end; start=$(now_s)
  "$@"
  end=$(now_s)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", e - s }' >>"$out"
}
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

ours_cold() { # a fresh state directory each time: nothing reused, every blob downloaded
  rm -rf "$work/state"
  "$imagecache" --state-dir "$work/state" -q pull "$image" >/dev/null
}
peer_cold() {
  rm -rf "$work/peer"
  mkdir -p "$work/peer"
  skopeo copy -q --src-tls-verify=false "docker://$image" "oci:$work/peer/oci:v1"
  # As root, a plain unpack keeps owners (what mke2fs -d copies); --rootless otherwise.
  umoci unpack $([ "$(id -u)" = 0 ] || echo --rootless) --image "$work/peer/oci:v1" "$work/peer/bundle" >/dev/null 2>&1
  # mke2fs -d cannot size itself: the same headroom our builder gives (content + 64 MiB + 16 MiB journal).
  local kib; kib=$(du -sk --apparent-size "$work/peer/bundle/rootfs" | cut -f1)
  truncate -s "$(( (kib / 1024 + 64 + 16 + kib / 10240) ))M" "$work/peer/rootfs.ext4"
  mke2fs -q -F -t ext4 -d "$work/peer/bundle/rootfs" "$work/peer/rootfs.ext4"
}
floor() { gzip -dc "$work/layer.tar.gz" >/dev/null; }

# Warm-up (page cache, first-run JIT caches of the runtime) for both sides, not counted.
ours_cold; peer_cold; floor
e2fsck -fn "$(find "$work/state/images/rootfs" -name '*.ext4' | head -n 1)" >"$work/ours.fsck" 2>&1 || { cat "$work/ours.fsck" >&2; exit 1; }
e2fsck -fn "$work/peer/rootfs.ext4" >"$work/peer.fsck" 2>&1 || { cat "$work/peer.fsck" >&2; exit 1; }

: >"$work/ours.cold"; : >"$work/peer.cold"; : >"$work/floor"
for _ in $(seq 1 "$runs"); do
  timed "$work/ours.cold" ours_cold
  timed "$work/peer.cold" peer_cold
  timed "$work/floor" floor
done

# Warm: the state directory of the last cold pull; the image is there, so pull builds and downloads nothing.
: >"$work/ours.warm"; : >"$work/list"
for _ in $(seq 1 "$runs"); do
  timed "$work/ours.warm" "$imagecache" --state-dir "$work/state" -q pull "$image"
  timed "$work/list" "$imagecache" --state-dir "$work/state" list
done >/dev/null

# Peak memory of one cold pull.
rm -rf "$work/state"
/usr/bin/time -v -o "$work/ours.time" "$imagecache" --state-dir "$work/state" -q pull "$image" >/dev/null
rss_kb=$(grep -F 'Maximum resident set size' "$work/ours.time" | sed 's/.*: //')

entries=$(tar -tf "$tarball" | wc -l)
ours_c=$(median "$work/ours.cold"); peer_c=$(median "$work/peer.cold"); floor_s=$(median "$work/floor")
ours_w=$(median "$work/ours.warm"); list_s=$(median "$work/list")
printf 'image: bookworm minbase, %s entries, tar %d MB, gzip layer %d MB; %s runs each, medians\n' \
  "$entries" "$(( $(stat -c %s "$tarball") / 1000000 ))" "$((layer_size / 1000000))" "$runs"
printf 'cold pull, imagecache:                  %7.3f s   (runs: %s)\n' "$ours_c" "$(tr '\n' ' ' <"$work/ours.cold")"
printf 'cold, skopeo + umoci unpack + mke2fs -d: %7.3f s   (runs: %s)\n' "$peer_c" "$(tr '\n' ' ' <"$work/peer.cold")"
printf 'floor, gzip -dc of the layer:           %7.3f s\n' "$floor_s"
printf 'warm pull, imagecache:                  %7.3f s   (runs: %s)\n' "$ours_w" "$(tr '\n' ' ' <"$work/ours.warm")"
printf 'imagecache list:                        %7.3f s   (runs: %s)\n' "$list_s" "$(tr '\n' ' ' <"$work/list")"
awk -v oc="$ours_c" -v pc="$peer_c" -v f="$floor_s" -v ow="$ours_w" -v l="$list_s" -v m="$rss_kb" 'BEGIN {
  cold = oc / pc; warm = ow / l
  printf "cold ratio ours/peer: %.2f (target <= 0.33: %s); ours/floor: %.1f\n", cold, (cold <= 1 / 3 ? "met" : "NOT met"), oc / f
  printf "warm ratio pull/list: %.2f (target <= 1.50: %s)\n", warm, (warm <= 1.5 ? "met" : "NOT met")
  printf "cold pull peak RSS: %d MB (target < 300 MB: %s)\n", m / 1000, (m < 300000 ? "met" : "NOT met")
}'
