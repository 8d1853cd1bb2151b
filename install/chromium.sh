#!/usr/bin/env bash
# Installs Debian's (or Ubuntu's) `chromium` package, the headless browser the certificate test
# opens certificate.html in. Nothing is downloaded outside the distribution's package archive.
#
#   bash install/chromium.sh        (called by install/servers.sh)
#
# Skips when a browser is already there: /usr/bin/chromium, or the executable ASC_CHROMIUM names
# (a CI image with Google Chrome preinstalled sets ASC_CHROMIUM=/usr/bin/google-chrome).
# Environment: ASC_SKIP_CHROMIUM=1 skips the step (a machine without root that runs no browser test).
set -euo pipefail

readonly default_browser=/usr/bin/chromium

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log_dir="$repo_root/.cache/install-logs"

log_name=chromium.sh
source "$repo_root/install/lib.sh"

browser_path() { printf '%s\n' "${ASC_CHROMIUM:-$default_browser}"; }

browser_runs() {
  local path
  path="$(browser_path)"
  [[ -x "$path" ]] && "$path" --version >/dev/null 2>&1
}

as_root() {
  if [[ "$(id -u)" == 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    log "installing needs root: run 'apt-get install -y chromium' as root, or set ASC_SKIP_CHROMIUM=1"
    return 1
  fi
}

main() {
  if [[ "${ASC_SKIP_CHROMIUM:-}" == 1 ]]; then
    printf '%-10s %-8s skipped (ASC_SKIP_CHROMIUM=1)\n' chromium apt
    return 0
  fi
  if browser_runs; then
    printf '%-10s %-8s already installed (%s)\n' chromium apt "$("$(browser_path)" --version 2>/dev/null | head -n 1)"
    return 0
  fi
  if [[ -n "${ASC_CHROMIUM:-}" ]]; then
    log "ASC_CHROMIUM=$ASC_CHROMIUM does not run; unset it to install Debian's chromium at $default_browser"
    return 1
  fi
  command -v apt-get >/dev/null 2>&1 || { log "apt-get not found; install Chromium at $default_browser or set ASC_CHROMIUM"; return 1; }
  mkdir -p "$log_dir"
  # apt is chatty; its output is kept for when something goes wrong. The package lists of a fresh
  # machine are empty or stale, so the package would not be found without the update.
  if ! {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
  } >"$log_dir/chromium.log" 2>&1; then
    tail -n 20 "$log_dir/chromium.log" >&2
    log "chromium did not install; full output in ${log_dir#"$repo_root/"}/chromium.log"
    return 1
  fi
  browser_runs || { log "chromium installed but $default_browser --version fails"; return 1; }
  printf '%-10s %-8s installed (%s)\n' chromium apt "$("$default_browser" --version 2>/dev/null | head -n 1)"
}

main "$@"
