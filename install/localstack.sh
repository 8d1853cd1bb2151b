#!/usr/bin/env bash
# LocalStack (`localstack-core` from PyPI), the second AWS emulator, for both paths:
#   .cache/wheels/localstack/   a wheelhouse of localstack-core[runtime] and its dependencies for
#                               CPython 3.13, which the container image installs from (no network
#                               inside a build here);
#   .cache/localstack-venv/     the same wheels in a venv, run natively by containers/localstack.ts.
#
# localstack-core 2026.3.0 declares Requires-Python >=3.10 but its code uses Python 3.12 syntax
# (`class RegionBundle[T]`), so on Python 3.11 every runtime plugin fails to import and the runtime
# stops with "No component plugins found in namespace localstack.runtime.components". It needs an
# interpreter >= 3.12: ASC_LOCALSTACK_PYTHON, else the first python3.13/python3.12 found (PATH, pyenv).
#
#   bash install/localstack.sh      (install/servers.sh calls it)
# Environment: ASC_SKIP_LOCALSTACK=1 skips the step (its targets then say not run, with this fix).
set -euo pipefail

readonly localstack_version="2026.3.0"
# What the runtime imports beyond localstack-core[runtime]'s own list: Twisted's TLS (the default
# gateway) needs service_identity, which the official image's lock file carries.
readonly requirements=("localstack-core[runtime]==2026.3.0" "service-identity==24.2.0")

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_dir="$repo_root/.cache"
wheelhouse="$cache_dir/wheels/localstack"
constraints="$repo_root/install/localstack-constraints.txt"
venv="$cache_dir/localstack-venv"
log_dir="$cache_dir/install-logs"
stamp_dir="$cache_dir/stamps"
script_hash="$(cat "${BASH_SOURCE[0]}" "$repo_root/install/localstack-constraints.txt" | sha256sum | cut -c1-16)"

log_name=localstack.sh
source "$repo_root/install/lib.sh"

# The first interpreter that is at least 3.12.
find_python() {
  local candidate
  for candidate in "${ASC_LOCALSTACK_PYTHON:-}" python3.13 python3.12 "$HOME"/.pyenv/versions/3.13*/bin/python3 "$HOME"/.pyenv/versions/3.12*/bin/python3; do
    [[ -n "$candidate" ]] || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then
      command -v "$candidate" || printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}

runs() {
  "$venv/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("localstack-core") != sys.argv[1])' "$localstack_version" &&
    "$venv/bin/python" -c 'import localstack.aws.components, service_identity'
}

# A wheelhouse for the image and a venv from it, with an interpreter that can run the code.
install_localstack() {
  local python
  python="$(find_python)" || {
    echo "localstack-core $localstack_version needs Python >= 3.12 (its code uses 3.12 syntax); install one and set ASC_LOCALSTACK_PYTHON, or ASC_SKIP_LOCALSTACK=1"
    return 1
  }
  echo "building with $("$python" -V 2>&1)"
  rm -rf "$wheelhouse" && mkdir -p "$wheelhouse" &&
    "$python" -m pip wheel --quiet --constraint "$constraints" --wheel-dir "$wheelhouse" "${requirements[@]}" &&
    rm -rf "$venv" &&
    "$python" -m venv "$venv" &&
    "$venv/bin/python" -m pip install --quiet --no-index --find-links "$wheelhouse" --constraint "$constraints" "${requirements[@]}"
}

main() {
  if [[ "${ASC_SKIP_LOCALSTACK:-}" == 1 ]]; then
    printf '%-10s %-8s skipped (ASC_SKIP_LOCALSTACK=1)\n' localstack "$localstack_version"
    return 0
  fi
  install_component localstack "$localstack_version" runs install_localstack
}

main "$@"
