#!/usr/bin/env bash
# Issue 8: on host B, a prebuilt pull (`pull SOURCE --from CACHE`: resolve the source, download host A's baseline
# artifact, verify, seal) against building the same baseline there (`pull SOURCE`: fetch the layers, merge, build, seal).
# The source is a Debian bookworm minbase tree as a one-layer gzip OCI image in a loopback docker-registry; host A
# builds it once and publishes it to a cache repository in the same registry. Then, RUNS times alternating which goes
# first, each in a fresh state directory: B prebuilt, B build. Reports medians and the ratio prebuilt/build.
# Target (issue 8): ratio <= 0.50.
#
#   bench/fleet-prebuilt-vs-build.sh          # root: debootstrap, apt-get; reuses a tree in $BENCH_DIR or /tmp/ext4-bench
#   RUNS=7 BENCH_DIR=/var/tmp/ext4-bench ...  # keeps (and reuses) the tree, its tar, the gzip layer and the published CLI
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
runs=${RUNS:-5}

export PATH="$PATH:/usr/sbin:/sbin"
missing=()
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then apt-get install -y "${missing[@]}" >/dev/null; fi

# The tree: $BENCH_DIR, else the one bench/ext4-vs-mke2fs.sh may have left in /tmp/ext4-bench, else a new one.
if [ -n "${BENCH_DIR:-}" ]; then work=$BENCH_DIR
elif [ -x /tmp/ext4-bench/rootfs/bin/sh ]; then work=/tmp/ext4-bench
else work=$(mktemp -d /var/tmp/fleet-bench.XXXXXX)
fi
mkdir -p "$work"
rootfs="$work/rootfs"
tarball="$work/rootfs.tar"
if [ ! -x "$rootfs/bin/sh" ]; then
  rm -rf "$rootfs"
  echo "debootstrap --variant=minbase bookworm $rootfs" >&2
  debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1
  rm -f "$tarball" "$work/fleet-layer.tar.gz"
fi
if [ ! -s "$tarball" ]; then
  tar --format=pax --numeric-owner --xattrs --xattrs-include='*' -C "$rootfs" -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  rm -f "$work/fleet-layer.tar.gz"
fi
layer="$work/fleet-layer.tar.gz"
if [ ! -s "$layer" ]; then
  gzip -n -c "$tarball" >"$layer.tmp"
  mv "$layer.tmp" "$layer"
fi

scratch=$(mktemp -d /tmp/fleet-bench.XXXXXX)
registry_pid=
cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT

# The OCI layout of the image: one gzip layer, a config with the diff_id, env and cmd.
python3 - "$tarball" "$layer" "$scratch/layout" <<'PY'
import hashlib, json, os, shutil, sys
tar, layer, out = sys.argv[1:4]
def sha(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''): h.update(chunk)
    return h.hexdigest()
os.makedirs(f'{out}/blobs/sha256')
def put(data):
    d = hashlib.sha256(data).hexdigest()
    open(f'{out}/blobs/sha256/{d}', 'wb').write(data)
    return d, len(data)
layer_hex = sha(layer)
os.link(layer, f'{out}/blobs/sha256/{layer_hex}') if os.stat(layer).st_dev == os.stat(out).st_dev else shutil.copyfile(layer, f'{out}/blobs/sha256/{layer_hex}')
config = {'architecture': 'amd64', 'os': 'linux',
          'config': {'Env': ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], 'Cmd': ['bash']},
          'rootfs': {'type': 'layers', 'diff_ids': ['sha256:' + sha(tar)]}}
config_hex, config_size = put(json.dumps(config, sort_keys=True).encode())
manifest = {'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json',
            'config': {'mediaType': 'application/vnd.oci.image.config.v1+json', 'digest': 'sha256:' + config_hex, 'size': config_size},
            'layers': [{'mediaType': 'application/vnd.oci.image.layer.v1.tar+gzip', 'digest': 'sha256:' + layer_hex, 'size': os.path.getsize(layer)}]}
manifest_hex, manifest_size = put(json.dumps(manifest).encode())
json.dump({'schemaVersion': 2, 'manifests': [{'mediaType': 'application/vnd.oci.image.manifest.v1+json', 'digest': 'sha256:' + manifest_hex,
           'size': manifest_size, 'annotations': {'org.opencontainers.image.ref.name': 'bookworm'}}]}, open(f'{out}/index.json', 'w'))
json.dump({'imageLayoutVersion': '1.0.0'}, open(f'{out}/oci-layout', 'w'))
PY

# A loopback registry on a free port.
for _ in $(seq 1 50); do
  port=$((20000 + RANDOM % 40000))
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
done
printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s/registry\nhttp:\n  addr: 127.0.0.1:%s\n' \
  "$scratch" "$port" >"$scratch/registry.yml"
docker-registry serve "$scratch/registry.yml" >"$scratch/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
source="127.0.0.1:$port/bench/debian:bookworm"
cache="127.0.0.1:$port/bench/baselines"
skopeo copy -q --dest-tls-verify=false "oci:$scratch/layout:bookworm" "docker://$source" >&2

# The published CLI (ReadyToRun), with its plugins beside it.
cli_dir="$work/fleet-cli"
echo "dotnet publish src/Cli -> $cli_dir" >&2
dotnet publish src/Cli -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -m:1 -v q -nologo -o "$cli_dir" >/dev/null
imagecache() { "$cli_dir/imagecache" "$@"; }

# Host A builds and publishes.
imagecache --state-dir "$scratch/a" pull "$source" --from "$cache" --push-to-cache 2>"$scratch/a.log" >/dev/null \
  || { cat "$scratch/a.log" >&2; echo "host A's pull failed" >&2; exit 1; }
grep -q "published $cache@sha256:" "$scratch/a.log" || { cat "$scratch/a.log" >&2; echo "host A did not publish" >&2; exit 1; }

now() { date +%s.%N; }
# timed KIND: one pull on a fresh host B; prints the seconds.
timed() {
  local kind=$1 state="$scratch/b-$1" start end
  rm -rf "$state"
  start=$(now)
  if [ "$kind" = prebuilt ]; then
    imagecache --state-dir "$state" pull "$source" --from "$cache" 2>"$state.log" >/dev/null || { cat "$state.log" >&2; exit 1; }
    end=$(now)
    grep -q "prebuilt from $cache@sha256:" "$state.log" || { cat "$state.log" >&2; echo "B did not take the prebuilt baseline" >&2; exit 1; }
  else
    imagecache --state-dir "$state" pull "$source" 2>"$state.log" >/dev/null || { cat "$state.log" >&2; exit 1; }
    end=$(now)
    grep -q "building ext4 with ext4" "$state.log" || { cat "$state.log" >&2; echo "B did not build" >&2; exit 1; }
  fi
  rm -rf "$state"
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", e - s }'
}

prebuilt=()
build=()
for i in $(seq 1 "$runs"); do
  if [ $((i % 2)) -eq 1 ]; then
    p=$(timed prebuilt); b=$(timed build)
  else
    b=$(timed build); p=$(timed prebuilt)
  fi
  prebuilt+=("$p"); build+=("$b")
  printf 'run %d: prebuilt %6.2f s, build %6.2f s\n' "$i" "$p" "$b"
done

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
p=$(median "${prebuilt[@]}")
b=$(median "${build[@]}")
printf 'image: %s MB tar, %s MB gzip layer\n' "$(($(stat -c %s "$tarball") / 1000000))" "$(($(stat -c %s "$layer") / 1000000))"
awk -v p="$p" -v b="$b" -v n="$runs" 'BEGIN {
  r = (b > 0) ? p / b : 0
  printf "medians of %d: prebuilt pull %.2f s, building %.2f s; ratio prebuilt/build: %.2f (target <= 0.50: %s)\n",
    n, p, b, r, (r <= 0.5 ? "met" : "NOT met")
}'
