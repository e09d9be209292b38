#!/usr/bin/env bash
# Runs the whole test suite: installs the system tools the tests use (when root), starts the services
# they need on 127.0.0.1, runs every test project, stops the services, and ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"

tools=(mke2fs:e2fsprogs debugfs:e2fsprogs e2fsck:e2fsprogs resize2fs:e2fsprogs dumpe2fs:e2fsprogs cmp:diffutils unsquashfs:squashfs-tools tar2sqfs:squashfs-tools-ng sqfs2tar:squashfs-tools-ng tar:tar
       docker-registry:docker-registry skopeo:skopeo umoci:umoci zstd:zstd htpasswd:apache2-utils
       mkfs.erofs:erofs-utils fsck.erofs:erofs-utils script:bsdutils kill:procps)
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

# Reliability.Tests needs a registry name that is not a loopback *name* but reaches 127.0.0.1 (it checks that such a
# name gets TLS, never plain HTTP). The machine's host name usually is one; where it resolves elsewhere (a container's
# own address), add the reserved name imagecache-remote.test.
if ! getent ahostsv4 "$(hostname)" 2>/dev/null | grep -q '^127\.' && ! getent ahostsv4 imagecache-remote.test >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then echo "127.0.0.1 imagecache-remote.test" >> /etc/hosts
  else echo "test.sh: add '127.0.0.1 imagecache-remote.test' to /etc/hosts; a security test needs it" >&2; fi
fi

# A plain docker-registry on 127.0.0.1 for tests/Registry.Tests (IMAGECACHE_TEST_REGISTRY); tests that need auth
# start their own. Stopped on exit, whatever happens.
registry_dir=$(mktemp -d)
registry_pid=
stop_registry() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
  rm -rf "$registry_dir"
}
trap stop_registry EXIT
if command -v docker-registry >/dev/null 2>&1; then
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
  done
  printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s/data\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$registry_dir" "$port" >"$registry_dir/config.yml"
  docker-registry serve "$registry_dir/config.yml" >"$registry_dir/log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  export IMAGECACHE_TEST_REGISTRY="127.0.0.1:$port"
else
  echo "test.sh: docker-registry is missing; the registry tests will fail" >&2
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
# Skipped tests are reported on their own line; the last line is the one CI reads.
[ "$skipped" -eq 0 ] || echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
