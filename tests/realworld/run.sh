#!/usr/bin/env bash
# Fidelity corpus: runs `rlsgate lint` and `rlsgate test --allow-unspecified` on every project
# under a directory of fetched public Supabase repositories (one sub-directory each, holding
# supabase/migrations) and prints one Markdown table row per project.
#
#   tests/realworld/run.sh /tmp/realworld [path/to/rlsgate]
#
# Their SQL is theirs: keep the corpus outside this repository. See docs/realworld.md.
set -uo pipefail

corpus=${1:?usage: run.sh CORPUS_DIR [RLSGATE_BIN]}
bin=${2:-$(cd "$(dirname "$0")/../.." && pwd)/target/debug/rlsgate}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "| repo | files | lines | applied | first failure | category | tables | cells | inconclusive | lint findings | warnings | test time (s) |"
echo "|---|---:|---:|---|---|---|---:|---:|---:|---:|---:|---:|"
for dir in "$corpus"/*/; do
    dir=${dir%/}
    name=$(basename "$dir")
    mig="$dir/supabase/migrations"
    [ -d "$mig" ] || mig="$dir/migrations"
    [ -d "$mig" ] || continue
    files=$(find -L "$mig" -maxdepth 1 -name '*.sql' | wc -l)
    lines=$(find -L "$mig" -maxdepth 1 -name '*.sql' -exec cat {} + | wc -l)
    "$bin" --project "$dir" -q --color never lint --format json >"$out/lint.json" 2>"$out/lint.err"
    started=$(date +%s.%N)
    "$bin" --project "$dir" -q --color never test --allow-unspecified --format json \
        >"$out/test.json" 2>"$out/test.err"
    rc=$?
    ended=$(date +%s.%N)
    python3 - "$name" "$files" "$lines" "$rc" "$started" "$ended" "$out" <<'PY'
import json, re, sys
name, files, lines, rc, started, ended, out = sys.argv[1:]
elapsed = float(ended) - float(started)
err = open(f"{out}/test.err", encoding="utf-8", errors="replace").read()
warnings = sum(1 for l in err.splitlines() if l.startswith("warning:"))
try:
    lint = json.load(open(f"{out}/lint.json"))
    findings = len(lint["diagnostics"])
except Exception:
    findings = "?"
CATEGORIES = {
    "42P01": "missing object", "42883": "missing object", "42704": "missing object",
    "3F000": "missing object", "42P07": "already exists", "42710": "already exists",
    "42723": "already exists", "0A000": "extension", "42501": "privilege",
    "55P04": "transaction", "25001": "transaction", "42601": "syntax",
}
applied, failure, category = "yes", "", ""
tables = cells = inconclusive = ""
if int(rc) == 2:
    applied = "no"
    m = re.search(r"error: (?:migration failed: )?(\S+?):(\d+)(?::\d+)?: (.*?)(?: \((\w{5})\))?$", err, re.M)
    if m:
        failure = f"{m.group(1).split('/')[-1]}:{m.group(2)}: {m.group(3)}"
        category = CATEGORIES.get(m.group(4) or "", "encoding" if "UTF-8" in err else "other")
    else:
        failure = err.strip().splitlines()[0] if err.strip() else f"exit {rc}"
        category = "other"
    failure = failure.replace("|", "\\|")[:110]
else:
    try:
        report = json.load(open(f"{out}/test.json"))
        rel = {c["table"] for c in report["cells"]}
        tables = len(rel)
        # table cells only: the summary also counts the function cells (EXECUTE, and the
        # CALL cells whose probes may be inconclusive)
        cells = report["summary"]["cells"] - report["summary"].get("functions", 0)
        inconclusive = sum(1 for c in report["cells"] if c["outcome"] == "inconclusive")
    except Exception as e:
        applied, failure, category = "?", f"unreadable report: {e}", "other"
print(f"| {name} | {files} | {lines} | {applied} | {failure} | {category} | {tables} | {cells} | "
      f"{inconclusive} | {findings} | {warnings} | {elapsed:.2f} |")
PY
    if [ -n "${RLSGATE_REALWORLD_KEEP:-}" ]; then
        mkdir -p "$RLSGATE_REALWORLD_KEEP"
        cp "$out/test.json" "$RLSGATE_REALWORLD_KEEP/$name.json"
        cp "$out/test.err" "$RLSGATE_REALWORLD_KEEP/$name.err"
    fi
done
