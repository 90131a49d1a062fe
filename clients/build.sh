#!/usr/bin/env bash
# Builds the TypeScript client (clients/typescript → dist/) and the React
# demo (clients/demo → static/demo/, which the component serves at `/`),
# each only when its output is missing or older than its sources; runs
# `npm ci` first when node_modules is missing or older than the lockfile.
# ./run.sh and the test command call it. Prints the bundle sizes when it
# builds (minified, and gzipped).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "clients: node and npm are missing (tests/support/install.sh installs them)" >&2
  exit 1
fi
# Vite 8 needs Node ≥ 20.19.
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "clients: Node $(node --version) is too old: Vite 8 needs 20.19 or later" >&2
  exit 1
fi

# True when $1 is missing or anything under the other arguments is newer.
stale() {
  local output=$1
  shift
  [ -e "$output" ] || return 0
  [ -n "$(find "$@" -newer "$output" -print -quit 2>/dev/null)" ]
}

if stale node_modules/.package-lock.json package-lock.json; then
  echo "clients: npm ci"
  nice -n 10 npm ci --no-audit --no-fund --loglevel=error
fi

built=
if stale typescript/dist/index.js typescript/src typescript/package.json typescript/tsconfig.json; then
  echo "clients: building @logistics/auth-client (clients/typescript/dist)"
  nice -n 10 npm run --silent build -w @logistics/auth-client
  built=yes
fi
if stale ../static/demo/index.html demo/src demo/index.html demo/vite.config.ts demo/tsconfig.json demo/package.json \
  typescript/src typescript/package.json; then
  echo "clients: building the demo (clients/demo → static/demo)"
  nice -n 10 npm run --silent build -w auth-demo
  built=yes
fi
if [ -n "$built" ]; then
  nice -n 10 node sizes.mjs
fi
