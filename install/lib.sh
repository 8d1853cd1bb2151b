# The helpers every install script (and .ci/run) would otherwise write out again: sourced, never run.
# A script sets log_name (the prefix of its messages) before it logs.
# shellcheck shell=bash

now_ms() { date +%s%3N; }

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
