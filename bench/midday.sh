#!/usr/bin/env bash
# Tenancy on a real team-scoped app: midday-ai/midday's apps/api/supabase at a pinned commit,
# with no spec, under the tenant model rlsgate infers. Prints the inferred model and checks
# what docs/realworld.md ("Tenancy on a real app: midday") reports.
#
#   bench/midday.sh GIT_DIR [RLSGATE_BIN]
#
# GIT_DIR is a clone of github.com/midday-ai/midday (a bare clone, a work tree, or a directory
# holding `repo`). The vault seed sets the two secrets the app's signup webhook reads: without
# them `supabase start` fails on the first signup the same way.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${1:?give a clone of midday-ai/midday}
[ -d "$src/repo" ] && src=$src/repo
bin=${2:-$(dirname "$here")/target/release/rlsgate}
commit=1fdff85e3463d09bc9c6e3c8e84dd307bef0a154
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# a partial clone may lack blobs outside apps/api/supabase: git archive complains and goes on
git -C "$src" archive "$commit" apps/api/supabase 2>/dev/null | tar -x -C "$work" || true
[ -d "$work/apps/api/supabase/migrations" ] || { echo "no apps/api/supabase at $commit in $src" >&2; exit 2; }
mv "$work/apps/api/supabase" "$work/supabase"
cat >"$work/supabase/seed.sql" <<'SQL'
select vault.create_secret('https://hooks.example.test', 'WEBHOOK_ENDPOINT');
select vault.create_secret('test-secret', 'WEBHOOK_SECRET');
SQL
start=$(date +%s.%N)
set +e
"$bin" --project "$work" test --format json >"$work/report.json" 2>"$work/stderr"
code=$?
set -e
end=$(date +%s.%N)
grep -h '^note: tenancy' "$work/stderr" || true
python3 - "$work/report.json" "$code" "$start" "$end" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
code, secs = int(sys.argv[2]), float(sys.argv[4]) - float(sys.argv[3])
cells = [c for c in report["cells"] if c["command"] != "execute"]
users = ("alice", "bob")
scoped = {c["table"] for c in cells if c["identity"] in users and c["actual"] == "tenant"}
alls = sorted({(c["table"], c["command"]) for c in cells
               if c["identity"] in users and c["table"] in scoped and c["actual"] == "all"})
cross = [p for c in cells if c["identity"] in users for p in c.get("probes") or []
         if p["target"] == "other tenant"]
cross_ok = [p for p in cross if p["outcome"]["kind"] == "allowed"]
t2 = {"bob", "mallory", "t2", "t2-member"}
def reached(table, who):
    return {r for c in cells if c["table"] == table and c["identity"] == who
            and c["command"] == "select" for r in c.get("reached") or []}
other_team_rows = sum(1 for t in scoped if reached(t, "service") & t2)
alice_reads_t2 = sorted(t for t in scoped if reached(t, "alice") & t2)
sus = [c for c in report["cells"] if c["outcome"] == "suspicious"]
print(f"exit {code}, {secs:.1f} s, {len(report['cells'])} cells")
print(f"team-scoped tables (alice/bob read `tenant`): {len(scoped)}")
print(f"team-scoped cells where alice or bob reach `all`: {len(alls)} {alls}")
print(f"team-scoped tables holding team t2's rows: {other_team_rows}; alice reads t2's rows in: {alice_reads_t2}")
print(f"inserts into the other team as alice/bob: {len(cross)}, accepted: {len(cross_ok)}")
for c in sus:
    print(f"suspicious: {c['table']} · {c['identity']} · {c['command']}: {c['actual']}")
outcomes = {}
for c in report["cells"]:
    outcomes[c["outcome"]] = outcomes.get(c["outcome"], 0) + 1
print("outcomes:", dict(sorted(outcomes.items())))
PY
