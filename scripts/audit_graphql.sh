#!/usr/bin/env bash
# `make audit-graphql`: graphql-http's GraphQL-over-HTTP audit against a live server on a fresh
# SQLite data dir (AUDIT_PORT, default 8765). Node and npm come from Debian when missing; the
# audit package is installed once into AUDIT_DEPS. Exits non-zero unless every audit is ok.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${AUDIT_PORT:-8765}
deps=${AUDIT_DEPS:-/tmp/tg-graphql-audit}
packages="graphql-http@1.23.1 graphql@16.9.0"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y nodejs npm || { apt-get update && apt-get install -y nodejs npm; }
fi
if [ "$(cat "$deps/.installed" 2>/dev/null)" != "$packages" ]; then
  mkdir -p "$deps"
  npm install --no-save --silent --prefix "$deps" $packages
  echo "$packages" > "$deps/.installed"
fi
data=$(mktemp -d)
TICKETGATE_DATA_DIR=$data .venv/bin/ticketgate migrate >/dev/null
TICKETGATE_DATA_DIR=$data LOG_LEVEL=WARNING .venv/bin/ticketgate serve --port "$port" &
server=$!
trap 'kill $server; wait $server 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
  sleep 0.1
done
NODE_PATH=$deps/node_modules node scripts/audit_graphql.cjs "http://127.0.0.1:$port/graphql"
