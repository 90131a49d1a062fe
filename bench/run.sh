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
trap stop_servers EXIT

./build.sh
cargo build --quiet --release -p spin-test-host -p auth-bench
start_servers
use_servers "$(create_database auth_bench "$(random_secret)")" "$COST"
# Every virtual user calls from 127.0.0.1: lift the per-IP rate limits, or
# the benchmark measures 429s.
export SPIN_VARIABLE_LOGIN_RATE_LIMIT_PER_IP=1000000000
export SPIN_VARIABLE_REGISTER_RATE_LIMIT_PER_IP=1000000000
export SPIN_VARIABLE_AVAILABILITY_RATE_LIMIT_PER_IP=1000000000
start_host target/release/spin-test-host

echo "bcrypt cost $COST; component $(stat -c %s target/auth-service.wasm) bytes; $(nproc) cores"
target/release/auth-bench "$HOST_URL" "$USERS" "$CONCURRENCY"
echo "test host peak RSS: $(grep VmHWM "/proc/$HOST_PID/status" | awk '{print $2, $3}')"
