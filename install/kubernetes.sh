#!/usr/bin/env bash
# Builds the Kubernetes API server the kubernetes family is certified against, and kine, the
# etcd-API shim that keeps the API server's objects in a SQLite file (no etcd to run), into
# .cache/bin/ as:
#   kube-apiserver  k8s.io/kubernetes/cmd/kube-apiserver, pinned by install/kube-apiserver/ (go.mod
#                   requires k8s.io/kubernetes v1.37.2 and replaces every k8s.io staging module,
#                   which its own go.mod points at ./staging, with the proxy's v0.37.2)
#   kine            github.com/k3s-io/kine v0.17.5 (its own go.mod and go.sum pin it; CGO off, so
#                   its SQLite driver is the pure-Go modernc.org/sqlite)
# containers/kube-apiserver.ts starts both, per run, on 127.0.0.1.
#
#   bash install/kubernetes.sh        (called by install/servers.sh, and by install/docker-images.sh
#                                      before the kube-apiserver image, which waits for a running build)
#
# Cold on 2 busy cores: about 10 minutes of compiling (kube-apiserver ~590 s CPU, kine ~240 s CPU);
# a second run checks stamps. Output is kept in .cache/install-logs/kubernetes.log.
set -euo pipefail

readonly kubernetes_version="v1.37.2"
readonly kine_version="v0.17.5"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
module_dir="$repo_root/install/kube-apiserver"
bin_dir="$repo_root/.cache/bin"
stamp_file="$repo_root/.cache/stamps/kubernetes"
log_dir="$repo_root/.cache/install-logs"
# The stamp changes with this script and with the pinned module: either edit rebuilds.
stamp="$kubernetes_version $kine_version $(cat "${BASH_SOURCE[0]}" "$module_dir/go.mod" "$module_dir/go.sum" | sha256sum | cut -c1-16)"

log_name=kubernetes.sh
source "$repo_root/install/lib.sh"

all_built() {
  "$bin_dir/kube-apiserver" --version 2>/dev/null | grep -qF "Kubernetes $kubernetes_version" &&
    "$bin_dir/kine" --version 2>/dev/null | grep -qF "kine version $kine_version"
}

build_all() {
  command -v go >/dev/null 2>&1 || { echo "go not found; install Go 1.26+ to build kube-apiserver and kine"; return 1; }
  mkdir -p "$bin_dir" || return 1
  local started build_bin
  started="$(now_ms)"
  # -mod=readonly: go.sum is the pin, never rewritten; GOTOOLCHAIN=local: no toolchain download.
  # The version is stamped the way Kubernetes' own build does, so `--version` names the release.
  (cd "$module_dir" && GOFLAGS=-mod=readonly GOTOOLCHAIN=local CGO_ENABLED=0 \
    go build -trimpath \
    -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$kubernetes_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37" \
    -o "$bin_dir/kube-apiserver.new" k8s.io/kubernetes/cmd/kube-apiserver) || return 1
  mv -f "$bin_dir/kube-apiserver.new" "$bin_dir/kube-apiserver" || return 1
  echo "kube-apiserver built in $(elapsed "$started")"
  started="$(now_ms)"
  build_bin="$(mktemp -d)" || return 1
  # `go install pkg@version` builds kine with its own go.mod and go.sum, checked against the sum database.
  GOBIN="$build_bin" GOTOOLCHAIN=local CGO_ENABLED=0 go install -trimpath \
    -ldflags "-s -w -X github.com/k3s-io/kine/pkg/version.Version=$kine_version" \
    "github.com/k3s-io/kine@$kine_version" || return 1
  mv -f "$build_bin/kine" "$bin_dir/kine" || return 1
  rm -rf "$build_bin"
  echo "kine built in $(elapsed "$started")"
}

main() {
  local started
  started="$(now_ms)"
  # One build at a time: a second caller (install/docker-images.sh while servers.sh's background
  # build runs) waits here, then finds the stamp.
  mkdir -p "$(dirname "$stamp_file")"
  exec 9>"$stamp_file.lock"
  flock 9
  if stamp_matches "$stamp_file" "$stamp" && all_built; then
    printf '%-10s %-8s already installed (%s)\n' kubernetes "$kubernetes_version" "$(elapsed "$started")"
    return 0
  fi
  rm -f "$stamp_file"
  mkdir -p "$log_dir"
  if ! build_all >"$log_dir/kubernetes.log" 2>&1; then
    tail -n 20 "$log_dir/kubernetes.log" >&2
    log "kube-apiserver or kine did not build; full output in ${log_dir#"$repo_root/"}/kubernetes.log"
    return 1
  fi
  all_built || { log "built, but kube-apiserver --version does not name $kubernetes_version; see ${log_dir#"$repo_root/"}/kubernetes.log"; return 1; }
  write_stamp "$stamp_file" "$stamp"
  printf '%-10s %-8s installed (%s)\n' kubernetes "$kubernetes_version" "$(elapsed "$started")"
}

main "$@"
