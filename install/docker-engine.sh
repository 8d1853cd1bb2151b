#!/usr/bin/env bash
# A Docker engine for the container path, when none answers:
#
#   bash install/docker-engine.sh up     (npm run containers:up runs it)
#   bash install/docker-engine.sh down   stops the engine `up` started; never a user's own
#   bash install/docker-engine.sh env    prints `export DOCKER_HOST=...` for the engine in use
#
# `up` uses an engine that already answers (DOCKER_HOST, or /var/run/docker.sock) as it is. Otherwise,
# as root, it installs Debian's `docker.io` when `dockerd` is missing and starts `dockerd` with its own
# data root, exec root and socket under the git-ignored .cache/docker/, then waits until it answers.
# The socket it started is written to .cache/docker/engine.env, which the runner and `env` read.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state_dir="$repo_root/.cache/docker"
engine_env="$state_dir/engine.env"
pid_file="$state_dir/dockerd.pid"
log_file="$state_dir/dockerd.log"
# A unix socket path must stay under 108 bytes: the socket and exec root live under /run (or /tmp),
# named by a hash of the checkout so two clones never share an engine.
checkout_key="$(printf '%s' "$repo_root" | sha256sum | cut -c1-12)"
run_base="/run"
[[ -w "$run_base" ]] || run_base="${TMPDIR:-/tmp}"
socket="$run_base/asc-docker-$checkout_key.sock"
exec_root="$run_base/asc-docker-$checkout_key"
readonly ready_timeout_s=60

say() { printf 'docker-engine: %s\n' "$*"; }
log_name=docker-engine
source "$repo_root/install/lib.sh"

answers() { docker ${1:+-H "$1"} version --format '{{.Server.Version}}' 2>/dev/null; }

# The engine a user already has: DOCKER_HOST, or the default socket.
existing_engine() {
  if [[ -n "${DOCKER_HOST:-}" ]] && answers "$DOCKER_HOST" >/dev/null; then
    printf '%s' "$DOCKER_HOST"
    return 0
  fi
  if [[ -S /var/run/docker.sock ]] && answers unix:///var/run/docker.sock >/dev/null; then
    printf 'unix:///var/run/docker.sock'
    return 0
  fi
  return 1
}

# The engine is local by construction: containers' published ports are reached on loopback.
write_engine_env() {
  printf 'export DOCKER_HOST=unix://%s\nexport TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1\n' "$socket" >"$engine_env"
}

ours_running() { [[ -f "$pid_file" ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }

install_engine() {
  command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1 && return 0
  [[ "$(id -u)" == 0 ]] || fail "no Docker engine answers and dockerd is not installed; as root run: apt-get install docker.io (or start your own engine and set DOCKER_HOST)"
  command -v apt-get >/dev/null 2>&1 || fail "no Docker engine answers and this is not a Debian system; install Docker and set DOCKER_HOST"
  say "installing Debian's docker.io"
  mkdir -p "$state_dir"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker.io >"$state_dir/apt.log" 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update >>"$state_dir/apt.log" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker.io >>"$state_dir/apt.log" 2>&1 ||
      fail "apt-get install docker.io failed; output in ${state_dir#"$repo_root/"}/apt.log"
  fi
}

up() {
  local started_ms existing
  started_ms="$(now_ms)"
  if existing="$(existing_engine)"; then
    rm -f "$engine_env"
    say "using the engine at $existing ($(answers "$existing")); it is yours and stays running"
    return 0
  fi
  if ours_running && answers "unix://$socket" >/dev/null; then
    write_engine_env
    say "our engine already answers at unix://$socket"
    return 0
  fi
  [[ "$(id -u)" == 0 ]] || fail "no Docker engine answers; start one and set DOCKER_HOST (starting dockerd here needs root)"
  install_engine
  mkdir -p "$state_dir/data" "$exec_root"
  rm -f "$socket"
  say "starting dockerd (data root ${state_dir#"$repo_root/"}/data, socket $socket)"
  # setsid: the engine outlives this script and a Ctrl-C meant for the test run; `down` stops it.
  setsid dockerd \
    --data-root "$state_dir/data" \
    --exec-root "$exec_root" \
    --pidfile "$pid_file" \
    --host "unix://$socket" \
    >"$log_file" 2>&1 </dev/null &
  local deadline=$((SECONDS + ready_timeout_s))
  until answers "unix://$socket" >/dev/null; do
    if ! kill -0 $! 2>/dev/null; then
      tail -n 5 "$log_file" >&2
      fail "dockerd exited while starting; log in ${log_file#"$repo_root/"}"
    fi
    ((SECONDS < deadline)) || fail "dockerd did not answer within ${ready_timeout_s}s; log in ${log_file#"$repo_root/"}"
    sleep 0.2
  done
  write_engine_env
  say "dockerd $(answers "unix://$socket") answers at unix://$socket ($(($(now_ms) - started_ms)) ms)"
}

down() {
  if ! [[ -f "$pid_file" ]]; then
    say "no engine of ours to stop"
    rm -f "$engine_env"
    return 0
  fi
  local pid
  pid="$(cat "$pid_file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    say "stopped dockerd (pid $pid)"
  fi
  rm -f "$pid_file" "$engine_env" "$socket"
}

env_line() {
  local existing
  if existing="$(existing_engine)"; then
    printf 'export DOCKER_HOST=%s\n' "$existing"
  elif [[ -f "$engine_env" ]]; then
    cat "$engine_env"
  else
    fail "no Docker engine answers; run: npm run containers:up"
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  env) env_line ;;
  *) fail "usage: bash install/docker-engine.sh up|down|env" ;;
esac
