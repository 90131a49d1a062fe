#!/usr/bin/env bash
# Installs what the tests need and a fresh Debian machine may lack: PostgreSQL,
# Redis, psql, htpasswd, Node and npm, the wasm32-wasip2 Rust target, clippy and rustfmt. Does nothing when all is there.
set -euo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
command -v curl >/dev/null 2>&1 || missing+=(curl)
# htpasswd hashes the first superadmin's password (sql/create-superadmin).
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
# The TypeScript client and the React demo (clients/build.sh; Vite 8 needs Node ≥ 20.19).
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "install: apt-get install ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The Debian package starts its own cluster and server; ours are separate.
fi

if ! rustup target list --installed | grep -qx wasm32-wasip2; then
  echo "install: rustup target add wasm32-wasip2"
  rustup target add wasm32-wasip2
fi

for component in clippy rustfmt; do
  if ! rustup component list --installed | grep -q "^$component"; then
    echo "install: rustup component add $component"
    rustup component add "$component"
  fi
done
