#!/bin/sh
# `server -dev` as the official image runs it: listen on all interfaces, the token from the environment.
set -e
if [ "$1" = server ] && [ "$2" = -dev ]; then
  shift 2
  token="${BAO_DEV_ROOT_TOKEN_ID:-${VAULT_DEV_ROOT_TOKEN_ID:-}}"
  set -- server -dev -dev-no-store-token -dev-listen-address="${BAO_DEV_LISTEN_ADDRESS:-0.0.0.0:8200}" ${token:+-dev-root-token-id="$token"} "$@"
fi
exec /usr/local/bin/bao "$@"
