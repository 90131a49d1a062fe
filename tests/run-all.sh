#!/usr/bin/env bash
# The test command. On a fresh Debian machine it installs what is missing,
# starts throwaway PostgreSQL and Redis on free loopback ports, applies the
# migrations, builds the component (.wasm) and the test host, serves the
# component in the test host, runs every test (unit, SQL, end-to-end) and
# cleans up, whatever the outcome.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

tests/support/install.sh
# shellcheck source=support/servers.sh
source tests/support/servers.sh

HOST_PID=""
cleanup() {
  [ -z "$HOST_PID" ] || kill "$HOST_PID" 2>/dev/null || true
  stop_servers
}
trap cleanup EXIT

echo "== build: component (wasm32-wasip2) and test host"
cargo build --quiet --target wasm32-wasip2 --release
# The whole workspace at once, so `cargo test --workspace` below reuses every
# artifact (building one package alone unifies features differently).
cargo build --quiet --workspace

echo "== servers: PostgreSQL and Redis"
start_servers
SERVICE_PASSWORD=$(random_secret)
SERVICE_DB_URL=$(create_database auth_test "$SERVICE_PASSWORD")
JWT_SECRET=$(random_secret)$(random_secret)

HOST_PORT=$(free_port)
export SPIN_VARIABLE_DB_URL=$SERVICE_DB_URL
export SPIN_VARIABLE_DB_HOST=127.0.0.1:$PG_PORT
export SPIN_VARIABLE_REDIS_URL=$REDIS_URL
export SPIN_VARIABLE_REDIS_HOST=127.0.0.1:$REDIS_PORT
export SPIN_VARIABLE_JWT_SECRET=$JWT_SECRET
export SPIN_VARIABLE_BCRYPT_COST=4
# A short reuse grace keeps the replay tests quick; one browser origin for CORS.
export SPIN_VARIABLE_REFRESH_REUSE_GRACE_SECONDS=2
export SPIN_VARIABLE_CORS_ALLOWED_ORIGINS=https://app.example.test
target/debug/spin-test-host --manifest spin.toml --listen "127.0.0.1:$HOST_PORT" \
  >"$WORK_DIR/host.log" 2>&1 &
HOST_PID=$!
for _ in $(seq 300); do
  curl -fsS "http://127.0.0.1:$HOST_PORT/api/v1/auth/health" >/dev/null 2>&1 && break
  kill -0 "$HOST_PID" 2>/dev/null || { cat "$WORK_DIR/host.log"; exit 1; }
  sleep 0.2
done

echo "== tests"
export AUTH_BASE_URL=http://127.0.0.1:$HOST_PORT
export AUTH_DB_ADMIN_URL=${PG_ADMIN_URL/\/postgres\?/\/auth_test?}
export AUTH_PG_SERVER_URL=$PG_ADMIN_URL
export AUTH_DB_SERVICE_URL=$SERVICE_DB_URL
export AUTH_REDIS_URL=$REDIS_URL
export AUTH_JWT_SECRET=$JWT_SECRET
export AUTH_TEST_HOST_BIN=$PWD/target/debug/spin-test-host
status=0
cargo test --workspace --no-fail-fast -- --test-threads=4 || status=$?
if [ "$status" -ne 0 ]; then
  echo "== component log (test host)"
  tail -n 50 "$WORK_DIR/host.log"
fi
exit "$status"
