#!/usr/bin/env bash
# Benchmark: the built component in a release build of the test host, against
# throwaway PostgreSQL and Redis; prints req/s and latency percentiles for
# register, login, refresh, me and a rejected request, plus the .wasm size and
# the host's peak memory.
#
#   bench/run.sh [bcrypt_cost=12] [users=100] [concurrency=4]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
COST=${1:-12}
USERS=${2:-100}
CONCURRENCY=${3:-4}

tests/support/install.sh
# shellcheck source=../tests/support/servers.sh
source tests/support/servers.sh
HOST_PID=""
cleanup() {
  [ -z "$HOST_PID" ] || kill "$HOST_PID" 2>/dev/null || true
  stop_servers
}
trap cleanup EXIT

cargo build --quiet --target wasm32-wasip2 --release
cargo build --quiet --release -p spin-test-host -p auth-bench
start_servers
export SPIN_VARIABLE_DB_URL
SPIN_VARIABLE_DB_URL=$(create_database auth_bench "$(random_secret)")
export SPIN_VARIABLE_DB_HOST=127.0.0.1:$PG_PORT
export SPIN_VARIABLE_REDIS_URL=$REDIS_URL
export SPIN_VARIABLE_REDIS_HOST=127.0.0.1:$REDIS_PORT
SPIN_VARIABLE_JWT_SECRET=$(random_secret)$(random_secret)
export SPIN_VARIABLE_JWT_SECRET
export SPIN_VARIABLE_BCRYPT_COST=$COST
PORT=$(free_port)
target/release/spin-test-host --manifest spin.toml --listen "127.0.0.1:$PORT" >"$WORK_DIR/host.log" 2>&1 &
HOST_PID=$!
until curl -fs "http://127.0.0.1:$PORT/api/v1/auth/health" >/dev/null 2>&1; do sleep 0.2; done

echo "bcrypt cost $COST; component $(stat -c %s target/wasm32-wasip2/release/auth_service.wasm) bytes; $(nproc) cores"
target/release/auth-bench "http://127.0.0.1:$PORT" "$USERS" "$CONCURRENCY"
echo "test host peak RSS: $(grep VmHWM "/proc/$HOST_PID/status" | awk '{print $2, $3}')"
