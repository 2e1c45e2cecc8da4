#!/usr/bin/env bash
# `make graphiql-assets`: GraphiQL, React and graphql-ws from the npm registry into
# schema/static/ (the versions schema/graphiql.py names), with their licences.
set -euo pipefail
cd "$(dirname "$0")/.."
static=$PWD/schema/static
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fetch() {  # package@version, then "source-in-package:target-dir" pairs
  local spec=$1; shift
  local tarball
  tarball=$(npm pack --silent "$spec" | tail -1)
  mkdir -p "$spec" && tar xzf "$tarball" -C "$spec"
  for pair in "$@"; do
    mkdir -p "$static/${pair#*:}"
    cp "$spec/package/${pair%%:*}" "$static/${pair#*:}/"
  done
}
fetch graphiql@3.8.3 graphiql.min.js:graphiql-3.8.3 graphiql.min.css:graphiql-3.8.3 LICENSE:graphiql-3.8.3
fetch react@18.3.1 umd/react.production.min.js:react-18.3.1 LICENSE:react-18.3.1
fetch react-dom@18.3.1 umd/react-dom.production.min.js:react-dom-18.3.1 LICENSE:react-dom-18.3.1
fetch graphql-ws@5.16.2 umd/graphql-ws.min.js:graphql-ws-5.16.2 LICENSE.md:graphql-ws-5.16.2
echo "GraphiQL assets written to schema/static/"
