#!/usr/bin/env bash
# Builds the external plugins the production-mode OpenBao needs, which OpenBao 2.7.2's `bao` does
# not contain: the LDAP and AWS auth methods and the AWS secrets engine. They are HashiCorp Vault
# v1.14.1's (MPL-2.0) own plugin programs, built from the Go module proxy through the pinned
# module in install/vault-plugins/ (go.mod and go.sum fix every dependency), into
# .cache/bao-plugins/ as:
#   vault-plugin-auth-ldap  vault-plugin-auth-aws  vault-plugin-secrets-aws
# containers/vault-setup/plugins.ts registers them (by SHA-256) in OpenBao's plugin catalog.
#
#   bash install/vault-plugins.sh        (to be called by install/servers.sh)
#
# Cold: about 4 minutes of downloads and 5 of compiling on 2 busy cores; a second run checks stamps.
set -euo pipefail

readonly vault_version="v1.14.1"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
module_dir="$repo_root/install/vault-plugins"
plugin_dir="$repo_root/.cache/bao-plugins"
stamp_file="$repo_root/.cache/stamps/vault-plugins"
log_dir="$repo_root/.cache/install-logs"
# The stamp changes with this script and with the pinned module: either edit rebuilds.
stamp="$vault_version $(cat "${BASH_SOURCE[0]}" "$module_dir/go.mod" "$module_dir/go.sum" | sha256sum | cut -c1-16)"

# name of the binary, then the package of its main
readonly plugins=(
  "vault-plugin-auth-ldap github.com/hashicorp/vault/builtin/credential/ldap/cmd/ldap"
  "vault-plugin-auth-aws github.com/hashicorp/vault/builtin/credential/aws/cmd/aws"
  "vault-plugin-secrets-aws github.com/hashicorp/vault/builtin/logical/aws/cmd/aws"
)

log_name=vault-plugins.sh
source "$repo_root/install/lib.sh"

all_built() {
  local entry name
  for entry in "${plugins[@]}"; do
    name="${entry%% *}"
    [[ -x "$plugin_dir/$name" ]] || return 1
  done
}

build_all() {
  local entry name package
  command -v go >/dev/null 2>&1 || { echo "go not found; install Go 1.22+ to build the Vault plugins"; return 1; }
  mkdir -p "$plugin_dir" || return 1
  for entry in "${plugins[@]}"; do
    name="${entry%% *}"
    package="${entry#* }"
    # -mod=readonly: go.sum is the pin, never rewritten; GOTOOLCHAIN=local: no toolchain download.
    (cd "$module_dir" && GOFLAGS=-mod=readonly GOTOOLCHAIN=local CGO_ENABLED=0 \
      go build -trimpath -o "$plugin_dir/$name.new" "$package") || return 1
    mv -f "$plugin_dir/$name.new" "$plugin_dir/$name" || return 1
  done
}

main() {
  local started
  started="$(now_ms)"
  if stamp_matches "$stamp_file" "$stamp" && all_built; then
    printf '%-10s %-8s already installed (%s)\n' bao-plugins "$vault_version" "$(elapsed "$started")"
    return 0
  fi
  rm -f "$stamp_file"
  mkdir -p "$log_dir"
  if ! build_all >"$log_dir/vault-plugins.log" 2>&1; then
    tail -n 20 "$log_dir/vault-plugins.log" >&2
    log "the plugins did not build; full output in ${log_dir#"$repo_root/"}/vault-plugins.log"
    return 1
  fi
  write_stamp "$stamp_file" "$stamp"
  printf '%-10s %-8s installed (%s)\n' bao-plugins "$vault_version" "$(elapsed "$started")"
}

main "$@"
