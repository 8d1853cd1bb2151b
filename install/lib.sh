# The helpers every install script (and .ci/run) would otherwise write out again: sourced, never run.
# A script sets log_name (the prefix of its messages) before it logs. install_component also reads
# repo_root, stamp_dir, log_dir and script_hash, which the script sets before it calls it.
# shellcheck shell=bash

now_ms() { date +%s%3N; }

# The installed servers and tools live in one folder per user, shared by every checkout of the
# project, so a second checkout (CI's fresh clone) finds them installed: ASC_CACHE_DIR, else
# $XDG_CACHE_HOME/airflow-secrets-conformance, else ~/.cache/airflow-secrets-conformance. A checkout
# reaches it as .cache, a link made here; a checkout whose .cache is a folder keeps its own.
link_shared_cache() {
  local link="$repo_root/.cache" shared
  [[ -e "$link" && ! -L "$link" ]] && return 0
  [[ -n "${ASC_CACHE_DIR:-}${XDG_CACHE_HOME:-}${HOME:-}" ]] || return 0
  shared="${ASC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/airflow-secrets-conformance}"
  mkdir -p "$shared"
  # ASC_CACHE_DIR may name the checkout's own .cache (a CI cache step keeps that folder).
  [[ "$shared" -ef "$link" ]] && return 0
  [[ -L "$link" && "$(readlink "$link")" == "$shared" ]] && return 0
  ln -sfn "$shared" "$link"
}

# Seconds since STARTED_MS (a now_ms value), to a tenth: 12.3s.
elapsed() {
  local ms=$(($(now_ms) - $1))
  printf '%d.%01ds' $((ms / 1000)) $(((ms % 1000) / 100))
}

log() { printf '%s: %s\n' "$log_name" "$*" >&2; }

fail() {
  log "$*"
  exit 1
}

# stamp_matches FILE WANTED: FILE is there and holds WANTED, so what it stamps is installed.
stamp_matches() { [[ -f "$1" && "$(cat "$1")" == "$2" ]]; }

# write_stamp FILE VALUE: written last, once what it stamps has been checked.
write_stamp() {
  mkdir -p "$(dirname "$1")"
  printf '%s\n' "$2" >"$1"
}

# A component's stamp: its version and the hash of the script that installs it.
stamp_of() { printf '%s %s\n' "$1" "$script_hash"; }

# install_component NAME VERSION CHECK INSTALL: CHECK proves the artefact works; INSTALL makes it.
install_component() {
  local name="$1" version="$2" check="$3" install="$4" started stamp_file
  started="$(now_ms)"
  stamp_file="$stamp_dir/$name"
  if stamp_matches "$stamp_file" "$(stamp_of "$version")" && "$check" >/dev/null 2>&1; then
    printf '%-10s %-8s already installed (%s)\n' "$name" "$version" "$(elapsed "$started")"
    return 0
  fi
  rm -f "$stamp_file"
  # pip and go are chatty; their output is kept for when something goes wrong.
  mkdir -p "$log_dir"
  if ! "$install" >"$log_dir/$name.log" 2>&1; then
    tail -n 20 "$log_dir/$name.log" >&2
    fail "$name $version did not install; full output in ${log_dir#"$repo_root/"}/$name.log"
  fi
  "$check" >/dev/null 2>&1 || fail "$name $version installed but does not run; output in ${log_dir#"$repo_root/"}/$name.log"
  write_stamp "$stamp_file" "$(stamp_of "$version")"
  printf '%-10s %-8s installed (%s)\n' "$name" "$version" "$(elapsed "$started")"
}

# Every script that sources this has set repo_root: its .cache is settled before anything lands there.
if [[ -n "${repo_root:-}" ]]; then link_shared_cache; fi
