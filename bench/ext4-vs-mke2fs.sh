#!/usr/bin/env bash
# The managed ext4 builder writing a Debian bookworm minbase tree from its tar, against `mke2fs -t ext4 -d` on
# the already-staged tree. One run of each, on the same machine, one after the other; both images are checked
# with e2fsck -fn. Reports elapsed time and peak RSS (/usr/bin/time -v) and the ratio ours/peer.
# Targets (issue 4): time ratio <= 1.00, our peak RSS < 200 MB.
#
#   bench/ext4-vs-mke2fs.sh            # needs root for debootstrap; installs debootstrap, e2fsprogs and time
#   BENCH_DIR=/var/tmp/ext4-bench ...  # keeps (and reuses) the debootstrapped tree and the tar there
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

need() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "$2" ]; }
missing=()
need debootstrap /usr/sbin/debootstrap || missing+=(debootstrap)
need mke2fs /sbin/mke2fs || missing+=(e2fsprogs)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get install -y "${missing[@]}" >/dev/null
fi
export PATH="$PATH:/usr/sbin:/sbin"

work=${BENCH_DIR:-$(mktemp -d /var/tmp/ext4-bench.XXXXXX)}
mkdir -p "$work"
rootfs="$work/rootfs"
tarball="$work/rootfs.tar"
if [ ! -x "$rootfs/bin/sh" ]; then
  rm -rf "$rootfs"
  echo "debootstrap --variant=minbase bookworm $rootfs" >&2
  debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1
  rm -f "$tarball"
fi
if [ ! -s "$tarball" ]; then
  tar --format=pax --numeric-owner --xattrs --xattrs-include='*' -C "$rootfs" -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
fi

dotnet build bench/Ext4Bench -c Release -m:1 -v q -nologo >/dev/null
harness="$repo/bench/Ext4Bench/bin/Release/net10.0/ext4-bench.dll"

# Warm the page cache for both sides alike: the tar for us, the staged tree for mke2fs.
cat "$tarball" >/dev/null
tar -C "$rootfs" -cf /dev/null .

files=$(find "$rootfs" -xdev | wc -l)
bytes=$(du -sb --apparent-size "$rootfs" | cut -f1)

ours="$work/ours.ext4"
peer="$work/peer.ext4"
rm -f "$ours" "$peer"

# field NAME FILE: one value from /usr/bin/time -v output.
field() { grep -F "$1" "$2" | sed 's/.*: //'; }
seconds() { awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }' <<<"$1"; }

/usr/bin/time -v -o "$work/ours.time" dotnet "$harness" "$tarball" "$ours" 2>"$work/ours.log"
cat "$work/ours.log" >&2
size=$(stat -c %s "$ours")
# The peer gets the same size our builder chose (mke2fs -d cannot size itself).
truncate -s "$size" "$peer"
/usr/bin/time -v -o "$work/peer.time" mke2fs -q -F -t ext4 -d "$rootfs" "$peer"

e2fsck -fn "$ours" >"$work/ours.fsck" 2>&1 || { cat "$work/ours.fsck" >&2; echo "e2fsck failed on our image" >&2; exit 1; }
e2fsck -fn "$peer" >"$work/peer.fsck" 2>&1 || { cat "$work/peer.fsck" >&2; echo "e2fsck failed on the mke2fs image" >&2; exit 1; }

ours_s=$(seconds "$(field 'Elapsed (wall clock)' "$work/ours.time")")
peer_s=$(seconds "$(field 'Elapsed (wall clock)' "$work/peer.time")")
ours_kb=$(field 'Maximum resident set size' "$work/ours.time")
peer_kb=$(field 'Maximum resident set size' "$work/peer.time")
ours_du=$(du -B1 "$ours" | cut -f1)
peer_du=$(du -B1 "$peer" | cut -f1)

printf 'tree: %s entries, %s MB of content; image %s MiB\n' "$files" "$((bytes / 1000000))" "$((size >> 20))"
printf 'ext4 builder (from tar): %6.2f s, peak RSS %4d MB, %4d MB allocated\n' "$ours_s" "$((ours_kb / 1000))" "$((ours_du / 1000000))"
printf 'mke2fs -d (staged tree): %6.2f s, peak RSS %4d MB, %4d MB allocated\n' "$peer_s" "$((peer_kb / 1000))" "$((peer_du / 1000000))"
awk -v o="$ours_s" -v p="$peer_s" -v m="$ours_kb" 'BEGIN {
  r = (p > 0) ? o / p : 0
  printf "time ratio ours/mke2fs: %.2f (target <= 1.00: %s); our peak RSS %d MB (target < 200 MB: %s)\n",
    r, (r <= 1.0 ? "met" : "NOT met"), m / 1000, (m < 200000 ? "met" : "NOT met")
}'
if [ -z "${BENCH_DIR:-}" ]; then rm -rf "$work"; else rm -f "$ours" "$peer"; fi
