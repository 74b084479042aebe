#!/usr/bin/env bash
# The rlsgate benchmarks (issue 8): builds the release binary, then prints one table.
#
#   bench/run.sh                      every section (about 5 minutes on 2 cores)
#   bench/run.sh --only start,scale   some of: start pgbench compare scale partition lint
#   bench/run.sh --reps 3             fewer repetitions
#
# Installs rlsautotest (PyPI) into a virtualenv and squawk-cli (npm) under target/bench/.
# Not part of `cargo test`. Figures and how to read them: docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
exec python3 bench/bench.py "$@"
