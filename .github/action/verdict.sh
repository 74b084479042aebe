#!/usr/bin/env bash
# The action's last step: fail the check for the reasons rlsgate found, each said once.
set -euo pipefail

failed=0
case "${TEST_EXIT:-}" in
  0) ;;
  1)
    echo "::error::rlsgate test: failed, inconclusive or unspecified cells, or catalog lint errors (see the job summary)"
    failed=1
    ;;
  *)
    echo "::error::rlsgate test could not run (exit ${TEST_EXIT:-none}): see the rlsgate test step"
    failed=1
    ;;
esac
case "${LINT_EXIT:-}" in
  '' | 0) ;;
  1)
    echo "::error::rlsgate lint: findings at or above the failing severity"
    failed=1
    ;;
  *)
    echo "::error::rlsgate lint could not run (exit ${LINT_EXIT})"
    failed=1
    ;;
esac
if [ "${WIDENED:-}" = true ] && [ "${FAIL_ON_WIDENED}" = true ]; then
  echo "::error::rlsgate diff: this pull request widens who can read or write rows (see the comment)"
  failed=1
fi
exit "$failed"
