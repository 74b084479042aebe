#!/usr/bin/env bash
# `rlsgate mutate` end to end on a project (default: the demo), RUNS times, with the machine's
# load average before each run. Target on the demo: <= 10 s.
#
#   bench/mutate.sh [PROJECT] [RUNS] [PROFILE]     (PROFILE: debug (default) or release)
set -euo pipefail
cd "$(dirname "$0")/.."
project=${1:-.}
runs=${2:-3}
profile=${3:-debug}
if [ "$profile" = release ]; then
  cargo build --release --quiet
else
  cargo build --quiet
fi
bin=target/$profile/rlsgate
"$bin" --project "$project" mutate -q >/dev/null || true # warm the template cache
for i in $(seq "$runs"); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  start=$(date +%s.%N)
  summary=$("$bin" --project "$project" mutate -q --format json |
    python3 -c 'import json,sys; s=json.load(sys.stdin)["summary"]; print("{total} mutants, {killed} killed, {survived} survived, {equivalent} equivalent".format(**s))')
  end=$(date +%s.%N)
  printf 'run %d: %.2f s (load %s): %s\n' "$i" "$(echo "$end - $start" | bc)" "$load" "$summary"
done
echo "cores: $(nproc)"
