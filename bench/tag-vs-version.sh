#!/usr/bin/env bash
# Acceptance (issue 2): on an index of 10,000 records, one `imagecache tag` takes at most 2x the time of
# `imagecache --version`, whole process, median of several runs. Both are measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
records=${RECORDS:-10000}
runs=${RUNS:-15}
# The CLI as it ships: published ReadyToRun (LanguageExt.Core stays JIT-compiled, see docs/pitfalls.md).
publish=$(mktemp -d)
state=$(mktemp -d)
trap 'rm -rf "$state" "$publish"' EXIT
dotnet publish src/Cli -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$publish" -v q -nologo >/dev/null
exe=$publish/imagecache
python3 bench/make-index.py "$state" "$records"
# Each run adds one more name for the same source (the index grows by one record per run). The name comes from
# hyperfine's parameter, so both commands run directly (-N): no shell or `cat` per run is timed with the tag.
# Three tags first: the made index is in the Go original's form, and the first write puts it in ours.
for n in 1 2 3; do "$exe" --state-dir "$state" tag registry.example.com/team1/app1:v1 "local/bench:w$n" >/dev/null; done
# --version is measured before and after the tags (a drift of the machine's speed then touches both sides).
hyperfine -N --warmup 3 --runs "$runs" --export-json "$state/version-before.json" -n version "$exe --version" >&2
hyperfine -N --runs 1 -P n 1 "$runs" --export-json "$state/tag.json" \
  "$exe --state-dir $state tag registry.example.com/team1/app1:v1 local/bench:t{n}" >/dev/null
hyperfine -N --warmup 3 --runs "$runs" --export-json "$state/version-after.json" -n version "$exe --version" >&2
python3 - "$state/version-before.json" "$state/version-after.json" "$state/tag.json" <<'PY'
import json, statistics, sys
times = lambda path: [t for r in json.load(open(path))["results"] for t in r["times"]]
version = statistics.median(times(sys.argv[1]) + times(sys.argv[2]))
tag = statistics.median(times(sys.argv[3]))
print("tag runs (ms):", " ".join(f"{t*1000:.0f}" for t in times(sys.argv[3])), file=sys.stderr)
print(f"median --version {version*1000:.1f} ms, median tag {tag*1000:.1f} ms, ratio tag/version {tag/version:.2f} (target <= 2.00)")
PY
