#!/usr/bin/env bash
# The action's pull-request comment: probe the base branch's migrations the same way, then
# `rlsgate diff base head --format markdown`, posted as one comment the action keeps updated.
# Outputs widened=true|false.
set -uo pipefail

dir="${RUNNER_TEMP}/rlsgate"
marker="<!-- rlsgate-access-diff -->"
project="${INPUT_PROJECT}"
head_report="${HEAD_REPORT:?}"

git fetch --no-tags --depth=1 origin "${BASE_SHA}" >/dev/null 2>&1
git worktree add --detach "$dir/base" "${BASE_SHA}" >/dev/null || {
  echo "::warning::rlsgate: cannot check out the base commit ${BASE_SHA}; no access diff"
  exit 0
}
# Both sides on rlsgate's own database, so the diff shows the pull request, not two setups.
if [ -n "${RLSGATE_DB_URL:-}" ]; then
  unset RLSGATE_DB_URL
  rlsgate --quiet --project "$project" test --allow-unspecified --format json -o "$dir/head-own.json"
  head_report="$dir/head-own.json"
fi
unset RLSGATE_DB_URL
rlsgate --quiet --project "$dir/base/$project" test --allow-unspecified --format json -o "$dir/base.json"
if [ ! -s "$dir/base.json" ]; then
  echo "::warning::rlsgate: the base branch could not be probed; no access diff"
  exit 0
fi

rlsgate diff "$dir/base.json" "$head_report" --format markdown >"$dir/comment.md"
diff_exit=$?
if [ "$diff_exit" -eq 1 ]; then
  echo "widened=true" >>"$GITHUB_OUTPUT"
else
  echo "widened=false" >>"$GITHUB_OUTPUT"
fi
rlsgate diff "$dir/base.json" "$head_report" || true

body="$(printf '%s\n%s' "$marker" "$(cat "$dir/comment.md")")"
existing="$(gh api "repos/${GITHUB_REPOSITORY}/issues/${PR_NUMBER}/comments" --paginate \
  --jq ".[] | select(.body | startswith(\"${marker}\")) | .id" 2>/dev/null | head -n 1)"
if [ -n "$existing" ]; then
  gh api --method PATCH "repos/${GITHUB_REPOSITORY}/issues/comments/${existing}" \
    -f body="$body" >/dev/null
else
  gh api --method POST "repos/${GITHUB_REPOSITORY}/issues/${PR_NUMBER}/comments" \
    -f body="$body" >/dev/null
fi || {
  echo "::warning::rlsgate: cannot comment on the pull request (a fork's token is read-only); the diff is in the job summary"
}
cat "$dir/comment.md" >>"$GITHUB_STEP_SUMMARY"
exit 0
