#!/usr/bin/env bash
# The action's run step: `rlsgate test` once (JSON), its verdict in the log and, as Markdown,
# in the job summary; `rlsgate lint` as SARIF for code scanning, or as annotations. Never
# fails itself: verdict.sh decides from the exit codes it records.
set -uo pipefail

out() { printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"; }

dir="${RUNNER_TEMP}/rlsgate"
mkdir -p "$dir"
project="${INPUT_PROJECT}"
read -r -a args <<<"${INPUT_ARGS}"
[ -n "${RLSGATE_DB_URL:-}" ] || unset RLSGATE_DB_URL

echo "::group::rlsgate test"
rlsgate --project "$project" test --format json -o "$dir/head.json" ${args[@]+"${args[@]}"}
test_exit=$?
echo "::endgroup::"
out test-exit "$test_exit"
if [ -s "$dir/head.json" ]; then
  out report "$dir/head.json"
  rlsgate merge "$dir/head.json" || true
  {
    echo "## rlsgate"
    echo
    rlsgate merge "$dir/head.json" --format markdown || true
  } >>"$GITHUB_STEP_SUMMARY"
else
  {
    echo "## rlsgate"
    echo
    echo "\`rlsgate test\` could not run (exit ${test_exit}): the job log says why."
  } >>"$GITHUB_STEP_SUMMARY"
fi

if [ "${INPUT_LINT}" = true ]; then
  echo "::group::rlsgate lint"
  rlsgate --project "$project" lint
  lint_exit=$?
  echo "::endgroup::"
  out lint-exit "$lint_exit"
  if [ "${INPUT_SARIF}" = true ]; then
    rlsgate --project "$project" lint --format sarif --fail-on never >"$dir/lint.sarif" \
      && out lint-sarif "$dir/lint.sarif"
  else
    rlsgate --project "$project" lint --format github --fail-on never || true
  fi
fi
exit 0
