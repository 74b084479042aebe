#!/usr/bin/env bash
# The fidelity corpus (bench/realworld.tsv: public Supabase repositories at pinned commits) as
# a benchmark: runs tests/realworld/run.sh on each, then prints the per-repo table and the
# totals docs/realworld.md reports (apply rate, conclusive share, time).
#
#   bench/realworld.sh [--extract GIT_DIR] [CORPUS_DIR] [RLSGATE_BIN]
#
# CORPUS_DIR (default /tmp/realworld) holds one directory per repository, named
# <owner>+<name>, with its supabase/ folder. --extract fills in the missing ones from
# GIT_DIR/<owner>+<name> (a bare clone or a work tree, or GIT_DIR/<owner>+<name>/repo), at the
# commit the list pins. Their SQL is theirs: keep the corpus outside this repository.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
list=$here/realworld.tsv

git_dir=
if [ "${1:-}" = "--extract" ]; then
    git_dir=${2:?--extract needs a directory of git clones}
    shift 2
fi
corpus=${1:-/tmp/realworld}
bin=${2:-$root/target/release/rlsgate}
[ -x "$bin" ] || { echo "no rlsgate binary at $bin (cargo build --release)" >&2; exit 2; }

extract() { # repo commit supabase_folder migrations_folder
    local name=${1/\//+} commit=$2 sup=$3 mig=$4 src tmp
    src=$git_dir/$name
    [ -d "$src/repo" ] && src=$src/repo
    tmp=$(mktemp -d)
    local paths=("$sup")
    [ "$mig" != "-" ] && paths+=("$mig")
    git -C "$src" archive "$commit" "${paths[@]}" | tar -x -C "$tmp"
    mkdir -p "$corpus/$name"
    if [ "$sup" != supabase ]; then
        mv "$tmp/$sup" "$corpus/$name/supabase"
    else
        mv "$tmp/supabase" "$corpus/$name/supabase"
    fi
    if [ "$mig" != "-" ]; then
        local top=${mig%%/*}
        [ -e "$corpus/$name/$top" ] || mv "$tmp/$top" "$corpus/$name/$top"
        [ -e "$corpus/$name/supabase/migrations" ] || ln -s "../$mig" "$corpus/$name/supabase/migrations"
    fi
    rm -rf "$tmp"
}

selected=$(mktemp -d)
keep=$(mktemp -d)
trap 'rm -rf "$selected" "$keep"' EXIT
while IFS=$'\t' read -r repo commit sup mig; do
    case $repo in '#'*|'') continue ;; esac
    name=${repo/\//+}
    if [ ! -d "$corpus/$name" ] && [ -n "$git_dir" ]; then
        extract "$repo" "$commit" "$sup" "$mig"
    fi
    if [ -d "$corpus/$name" ]; then
        ln -s "$corpus/$name" "$selected/$name"
    else
        echo "missing: $corpus/$name (run with --extract)" >&2
    fi
done <"$list"

RLSGATE_REALWORLD_KEEP=${RLSGATE_REALWORLD_KEEP:-$keep} "$root/tests/realworld/run.sh" "$selected" "$bin" \
    | tee "$keep/table.md"
echo
python3 - "$keep/table.md" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
rows = [l.split("|")[1:-1] for l in lines[2:] if l.startswith("|")]
rows = [[c.strip() for c in r] for r in rows]
total = len(rows)
applied = [r for r in rows if r[3] == "yes"]
cells = sum(int(r[7]) for r in applied if r[7])
inconclusive = sum(int(r[8]) for r in applied if r[8])
time_all = sum(float(r[11]) for r in rows)
time_applied = sum(float(r[11]) for r in applied)
print(f"repos: {total}; apply: {len(applied)} ({100 * len(applied) / max(total, 1):.0f}%)")
print(f"cells: {cells}; inconclusive: {inconclusive}; conclusive: {100 * (cells - inconclusive) / max(cells, 1):.1f}%")
for r in applied:
    if r[6] and int(r[6]) >= 50:
        c, i = int(r[7]), int(r[8])
        print(f"  {r[0]}: {r[6]} tables, {100 * (c - i) / max(c, 1):.1f}% conclusive")
print(f"test time: {time_all:.1f} s in all, {time_applied:.1f} s for the repos that apply")
PY
