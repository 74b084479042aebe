#!/usr/bin/env bash
# The action's run step: `rlsgate test` once, its verdict in the log and, from the same run
# (`--also`), the JSON report (for the diff), the Markdown verdict for the job summary, and
# SARIF for code scanning (or GitHub annotations): the failed cells at their spec and migration
# lines, and the catalog lint's findings. Then `rlsgate lint` on the migration files, for its
# exit code and its log. Never fails itself: verdict.sh decides from the exit codes it records.
set -uo pipefail

out() { printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"; }

dir="${RUNNER_TEMP}/rlsgate"
mkdir -p "$dir"
rm -f "$dir/head.json" "$dir/summary.md" "$dir/test.sarif" "$dir/annotations.txt"
project="${INPUT_PROJECT}"
read -r -a args <<<"${INPUT_ARGS}"
[ -n "${RLSGATE_DB_URL:-}" ] || unset RLSGATE_DB_URL

reports=(--also "json=$dir/head.json" --also "markdown=$dir/summary.md")
if [ "${INPUT_SARIF}" = true ]; then
  reports+=(--also "sarif=$dir/test.sarif")
else
  reports+=(--also "github=$dir/annotations.txt")
fi

echo "::group::rlsgate test"
rlsgate --project "$project" test "${reports[@]}" ${args[@]+"${args[@]}"}
test_exit=$?
echo "::endgroup::"
out test-exit "$test_exit"
if [ -s "$dir/head.json" ]; then
  out report "$dir/head.json"
  { echo "## rlsgate"; echo; cat "$dir/summary.md"; } >>"$GITHUB_STEP_SUMMARY"
else
  {
    echo "## rlsgate"
    echo
    echo "\`rlsgate test\` could not run (exit ${test_exit}): the job log says why."
  } >>"$GITHUB_STEP_SUMMARY"
fi
if [ -s "$dir/test.sarif" ]; then
  out sarif "$dir/test.sarif"
fi
if [ -s "$dir/annotations.txt" ]; then
  # Workflow commands on stdout become annotations on the pull request's lines.
  cat "$dir/annotations.txt"
fi

if [ "${INPUT_LINT}" = true ]; then
  echo "::group::rlsgate lint"
  rlsgate --project "$project" lint
  lint_exit=$?
  echo "::endgroup::"
  out lint-exit "$lint_exit"
fi
exit 0
