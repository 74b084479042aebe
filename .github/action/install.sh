#!/usr/bin/env bash
# The action's install steps. `resolve`: which release and target (outputs tag, target, dir,
# repository). `install`: download and verify it unless cached (or build it with cargo for
# `source`), put it on PATH, and make sure the PostgreSQL server binaries are there.
set -euo pipefail

out() { printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"; }

resolve() {
  local repository="${ACTION_REPOSITORY:-}"
  [ -n "$repository" ] || repository="rlsgate/rlsgate"
  local target
  case "${RUNNER_OS}/${RUNNER_ARCH}" in
    Linux/X64) target=x86_64-unknown-linux-musl ;;
    Linux/ARM64) target=aarch64-unknown-linux-musl ;;
    macOS/X64) target=x86_64-apple-darwin ;;
    macOS/ARM64) target=aarch64-apple-darwin ;;
    *)
      echo "::error::rlsgate has no release binary for ${RUNNER_OS}/${RUNNER_ARCH}; use a Linux or macOS runner, or version: source"
      exit 1
      ;;
  esac
  local tag="${INPUT_VERSION}"
  case "$tag" in
    source) ;;
    latest | '')
      tag="$(gh release view --repo "$repository" --json tagName --jq .tagName)"
      ;;
    v*) ;;
    *) tag="v${tag}" ;;
  esac
  out tag "$tag"
  out target "$target"
  out repository "$repository"
  out dir "${RUNNER_TOOL_CACHE}/rlsgate/${tag}/${target}"
}

postgres() {
  if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then
    return
  fi
  echo "Installing the PostgreSQL server binaries"
  case "${RUNNER_OS}" in
    Linux)
      sudo apt-get update -qq
      sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
      ;;
    macOS)
      brew install postgresql@16 >/dev/null
      echo "RLSGATE_PG_BIN=$(brew --prefix postgresql@16)/bin" >>"$GITHUB_ENV"
      ;;
  esac
}

install() {
  if [ "$TAG" = source ]; then
    cargo install --locked --quiet --path "$GITHUB_ACTION_PATH" --root "$DIR"
  elif [ "${CACHED:-}" != true ]; then
    local work archive="rlsgate-${TARGET:?}"
    work="$(mktemp -d)"
    gh release download "$TAG" --repo "${REPOSITORY:?}" --dir "$work" \
      --pattern "${archive}.tar.gz" --pattern "${archive}.sha256"
    if command -v sha256sum >/dev/null 2>&1; then
      (cd "$work" && sha256sum --check --strict "${archive}.sha256")
    else
      (cd "$work" && shasum -a 256 --check --strict "${archive}.sha256")
    fi
    mkdir -p "$DIR/bin"
    tar -xzf "$work/${archive}.tar.gz" -C "$DIR/bin" rlsgate
  fi
  echo "$DIR/bin" >>"$GITHUB_PATH"
  "$DIR/bin/rlsgate" --version
  if [ "${NEEDS_POSTGRES}" = true ]; then
    postgres
  fi
}

case "${1:-}" in
  resolve) resolve ;;
  install) install ;;
  *)
    echo "usage: install.sh resolve|install" >&2
    exit 2
    ;;
esac
