#!/bin/sh
# kine on 127.0.0.1:2379 with its SQLite file inside the container, then kube-apiserver on it with the
# arguments given (kube-apiserver retries the store until kine answers).
set -e
mkdir -p /var/lib/kine
/usr/local/bin/kine \
  --listen-address=127.0.0.1:2379 \
  --endpoint='sqlite:///var/lib/kine/state.db?_journal_mode=WAL&_busy_timeout=30000&_synchronous=NORMAL&_txlock=immediate&_stmt_cache_size=20&cache=shared' \
  --metrics-bind-address=0 &
exec /usr/local/bin/kube-apiserver --etcd-servers=http://127.0.0.1:2379 "$@"
