#!/usr/bin/env bash
# Static lint throughput: generate a migration set of ~100,000 lines (tables, RLS, policies,
# functions, views, grants, DO blocks) and time `rlsgate lint` on it. Target: <= 0.5 s.
#
#   bench/lint.sh [LINES] [RUNS]      (builds the release binary first)
#
# Catalog lint cost: what `rlsgate lint --db` spends linting the migrated catalog of a real
# project (the database build is not counted), read from RLSGATE_TIMINGS. Target: <= 100 ms
# on the 130-table corpus app (kruxt-beta, docs/realworld.md).
#
#   bench/lint.sh --catalog PROJECT_DIR [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--catalog" ]; then
  project=${2:?usage: bench/lint.sh --catalog PROJECT_DIR [RUNS]}
  runs=${3:-7}
  cargo build --release --quiet
  bin=$PWD/target/release/rlsgate
  err=$(mktemp)
  trap 'rm -f "$err"' EXIT
  times=()
  for _ in $(seq "$runs"); do
    RLSGATE_TIMINGS=1 "$bin" --project "$project" --quiet lint --db --format json --fail-on never > /dev/null 2> "$err" || {
      cat "$err" >&2
      exit 2
    }
    times+=("$(sed -n 's/^timing: catalog lint: \([0-9.]*\) ms$/\1/p' "$err")")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v runs="$runs" '
    { t[NR] = $1 }
    END {
      printf "catalog lint: %d runs, min %.1f ms, median %.1f ms, max %.1f ms (target <= 100 ms)\n",
        runs, t[1], (NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2), t[NR]
    }'
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi
lines=${1:-100000}
runs=${2:-5}
cargo build --release --quiet
# LINT_BENCH_DIR keeps the generated files there (bench/run.sh runs squawk on them).
if [ -n "${LINT_BENCH_DIR:-}" ]; then
  dir=$LINT_BENCH_DIR
  mkdir -p "$dir"
else
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
fi
python3 - "$dir" "$lines" <<'PY'
import sys, os
out, target = sys.argv[1], int(sys.argv[2])
block = '''create table public.t{i} (
  id uuid primary key default gen_random_uuid(),
  owner uuid not null references auth.users (id),
  title text not null check (char_length(title) < 200),
  body text,
  created_at timestamptz not null default now()
);
create index t{i}_owner on public.t{i} (owner);
alter table public.t{i} enable row level security;
create policy "t{i} read" on public.t{i} for select to authenticated
  using ((select auth.uid()) = owner);
create policy "t{i} write" on public.t{i} for insert to authenticated
  with check (auth.uid() = owner);
create or replace function public.f{i}(p_id uuid)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  v text; -- a comment; with a semicolon
begin
  select title into v from public.t{i} where id = p_id and body <> 'it''s; fine';
  return v;
end;
$$;
revoke execute on function public.f{i}(uuid) from public, anon;
create view public.v{i} with (security_invoker = true) as
  select id, title from public.t{i} where created_at > now() - interval '1 day';
do $$ begin perform 1; end $$;
/* block comment /* nested */ ; */
'''
per = block.count('\n')
files = 100
n = 0
i = 0
for f in range(files):
    with open(os.path.join(out, f"{f:05}_m.sql"), "w") as fh:
        while n < target * (f + 1) // files:
            fh.write(block.format(i=i))
            n += per
            i += 1
print(f"{n} lines, {i} blocks, {files} files", file=sys.stderr)
PY
bytes=$(cat "$dir"/*.sql | wc -c)
echo "input: $(cat "$dir"/*.sql | wc -l) lines, $bytes bytes"
best=999
walls=()
for _ in $(seq "$runs"); do
  /usr/bin/time -f '%e %U %S' -o "$dir/time" ./target/release/rlsgate lint "$dir" --format json --fail-on never > "$dir/out.json"
  read -r wall user sys < "$dir/time"
  cpu=$(echo "$user + $sys" | bc -l)
  printf 'run: wall %.2f s, cpu %.2f s (user %.2f, sys %.2f)\n' "$wall" "$cpu" "$user" "$sys"
  best=$(echo "if ($wall < $best) $wall else $best" | bc -l)
  walls+=("$wall")
done
median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{ t[NR] = $1 } END { print (NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2) }')
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (shared machine: cpu time is the steadier figure)"
printf 'best wall: %.2f s, median %.2f s (target <= 0.5 s); findings: %s\n' "$best" "$median" "$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['diagnostics']))" "$dir/out.json")"
