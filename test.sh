#!/usr/bin/env bash
# Runs the whole test suite: installs the system tools the tests use (when root), starts the services
# they need on 127.0.0.1, runs every test project, stops the services, and ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"

tools=(mke2fs:e2fsprogs debugfs:e2fsprogs e2fsck:e2fsprogs unsquashfs:squashfs-tools tar2sqfs:squashfs-tools-ng
       docker-registry:docker-registry skopeo:skopeo umoci:umoci zstd:zstd htpasswd:apache2-utils
       mkfs.erofs:erofs-utils fsck.erofs:erofs-utils)
missing=()
for entry in "${tools[@]}"; do
  command -v "${entry%%:*}" >/dev/null 2>&1 || missing+=("${entry#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "test.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
  else
    echo "test.sh: missing tools (${missing[*]}); install them or run as root. Tests that need them will fail." >&2
  fi
fi

results=TestResults
rm -rf "$results"
status=0
dotnet build ImageCache.sln --configuration Release -nologo -v q
# One run per test project, each with its own TRX file: parallel runs of a solution can give two TRX files the same timestamped name.
for project in tests/*.Tests/*.csproj; do
  name=$(basename "$project" .csproj)
  dotnet test "$project" --configuration Release --no-build --logger "trx;LogFileName=$name.trx" --results-directory "$results" "$@" || status=$?
done

passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  value() { printf '%s' "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(value passed)))
  failed=$((failed + $(value failed) + $(value error) + $(value timeout) + $(value aborted)))
  skipped=$((skipped + $(value notExecuted)))
done
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$status" -ne 0 ]; then failed=1; fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
