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

trap stop_servers EXIT

echo "== build: component (wasm32-wasip2) and test host"
cargo build --quiet --target wasm32-wasip2 --release
# The whole workspace at once, so `cargo test --workspace` below reuses every
# artifact (building one package alone unifies features differently).
cargo build --quiet --workspace

echo "== servers: PostgreSQL and Redis"
start_servers
SERVICE_DB_URL=$(create_database auth_test "$(random_secret)")
use_servers "$SERVICE_DB_URL" 4
# A short reuse grace keeps the replay tests quick; one browser origin for CORS.
export SPIN_VARIABLE_REFRESH_REUSE_GRACE_SECONDS=2
export SPIN_VARIABLE_CORS_ALLOWED_ORIGINS=https://app.example.test
start_host target/debug/spin-test-host

echo "== tests"
export AUTH_BASE_URL=$HOST_URL
export AUTH_DB_ADMIN_URL=${PG_ADMIN_URL/\/postgres\?/\/auth_test?}
export AUTH_PG_SERVER_URL=$PG_ADMIN_URL
export AUTH_DB_SERVICE_URL=$SERVICE_DB_URL
export AUTH_REDIS_URL=$REDIS_URL
export AUTH_JWT_SECRET=$SPIN_VARIABLE_JWT_SECRET
export AUTH_TEST_HOST_BIN=$PWD/target/debug/spin-test-host
status=0
cargo test --workspace --no-fail-fast -- --test-threads=4 || status=$?
if [ "$status" -ne 0 ]; then
  echo "== component log (test host)"
  tail -n 50 "$WORK_DIR/host.log"
fi
exit "$status"
