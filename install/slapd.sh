#!/usr/bin/env bash
# Installs Debian's OpenLDAP server (`slapd`, with `slapadd`), the directory the Vault `ldap` auth
# method is certified against. containers/slapd.ts runs it as a local process with a per-run
# configuration and directory; the package's own service is never configured nor started.
#
#   bash install/slapd.sh        (to be called by install/servers.sh)
#
# Pinned to the Debian 12 package version; a machine with that version installed only checks it.
# Environment: ASC_SKIP_SLAPD=1 skips the step (a machine without root that runs no LDAP test).
set -euo pipefail

readonly slapd_version="2.5.13+dfsg-5"
readonly slapd_binary=/usr/sbin/slapd

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log_dir="$repo_root/.cache/install-logs"

log_name=slapd.sh
source "$repo_root/install/lib.sh"

installed_version() { dpkg-query -W -f '${Version}' slapd 2>/dev/null || true; }

slapd_runs() {
  [[ "$(installed_version)" == "$slapd_version" ]] && [[ -x "$slapd_binary" ]] && "$slapd_binary" -VV 2>&1 | grep -q 'slapd 2\.5\.'
}

as_root() {
  if [[ "$(id -u)" == 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    log "installing needs root: run 'apt-get install -y slapd=$slapd_version' as root, or set ASC_SKIP_SLAPD=1"
    return 1
  fi
}

main() {
  local started
  started="$(now_ms)"
  if [[ "${ASC_SKIP_SLAPD:-}" == 1 ]]; then
    printf '%-10s %-8s skipped (ASC_SKIP_SLAPD=1)\n' slapd apt
    return 0
  fi
  if slapd_runs; then
    printf '%-10s %-8s already installed (%s)\n' slapd 2.5.13 "$(elapsed "$started")"
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 || { log "apt-get not found; install OpenLDAP's slapd 2.5 at $slapd_binary"; return 1; }
  mkdir -p "$log_dir"
  # no_configuration: the package must not create its own database nor start a system service;
  # every run brings its own configuration. The update: a fresh machine's package lists are empty.
  if ! {
    echo 'slapd slapd/no_configuration boolean true' | as_root debconf-set-selections &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "slapd=$slapd_version"
  } >"$log_dir/slapd.log" 2>&1; then
    tail -n 20 "$log_dir/slapd.log" >&2
    log "slapd did not install; full output in ${log_dir#"$repo_root/"}/slapd.log"
    return 1
  fi
  slapd_runs || { log "slapd $slapd_version installed but $slapd_binary -VV fails"; return 1; }
  printf '%-10s %-8s installed (%s)\n' slapd 2.5.13 "$(elapsed "$started")"
}

main "$@"
