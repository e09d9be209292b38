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
# Each run adds one more name for the same source; the index grows by one record per run.
counter="$state/n"; echo 0 > "$counter"
hyperfine --warmup 3 --runs "$runs" --export-json "$state/result.json" \
  -n version "$exe --version" \
  -n tag "n=\$(( \$(cat $counter) + 1 )); echo \$n > $counter; $exe --state-dir $state tag registry.example.com/team1/app1:v1 local/bench:t\$n" >&2
python3 - "$state/result.json" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
version, tag = results["version"]["median"], results["tag"]["median"]
print(f"median --version {version*1000:.1f} ms, median tag {tag*1000:.1f} ms, ratio tag/version {tag/version:.2f} (target <= 2.00)")
PY
