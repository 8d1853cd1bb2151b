#!/usr/bin/env bash
# Builds actionlint, the linter test/workflow.test.ts runs on .github/workflows/, from its Go module
# into .cache/bin/actionlint. Pinned; a second run only checks the installed version.
#
#   bash install/actionlint.sh      (called by install/servers.sh)
set -euo pipefail

readonly actionlint_version="1.7.12"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin_dir="$repo_root/.cache/bin"
log_dir="$repo_root/.cache/install-logs"

log_name=actionlint.sh
source "$repo_root/install/lib.sh"

installed_version_matches() {
  [[ -x "$bin_dir/actionlint" ]] && "$bin_dir/actionlint" -version 2>/dev/null | head -n 1 | grep -qxF "v$actionlint_version"
}

main() {
  if installed_version_matches; then
    printf '%-10s %-8s already installed\n' actionlint "$actionlint_version"
    return 0
  fi
  command -v go >/dev/null 2>&1 || { log "go not found; install Go 1.24+ to build actionlint"; return 1; }
  mkdir -p "$bin_dir" "$log_dir"
  # go is chatty; its output is kept for when something goes wrong.
  if ! GOBIN="$bin_dir" go install "github.com/rhysd/actionlint/cmd/actionlint@v$actionlint_version" >"$log_dir/actionlint.log" 2>&1; then
    tail -n 20 "$log_dir/actionlint.log" >&2
    log "actionlint $actionlint_version did not build; full output in ${log_dir#"$repo_root/"}/actionlint.log"
    return 1
  fi
  installed_version_matches || { log "actionlint built but -version does not say v$actionlint_version"; return 1; }
  printf '%-10s %-8s installed\n' actionlint "$actionlint_version"
}

main "$@"
