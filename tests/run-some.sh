#!/usr/bin/env bash
# Runs some end-to-end tests under one host, for a quick look while working:
#
#   tests/run-some.sh HOST [BEHAVIOUR ...] [-- cargo test filters/flags]
#
# HOST: test-host, spin-p2 (Spin 4.x), spin3-p2 (Spin 3.6.3) or spin-p3.
# BEHAVIOUR: a file of tests/e2e/tests/behaviours without .rs (all of them
# when none): a module of the one end-to-end test binary; or `client` (the
# TypeScript client's walk-through, tests/client) or `browser` (the React
# demo in Chromium, tests/browser), which run instead of the Rust tests
# when no module is named.
# Builds nothing: run ./build.sh (or the test command) first. The test
# command (tests/run-all.sh) stays the one that counts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
host=${1:?usage: tests/run-some.sh HOST [TEST_NAME ...] [-- filters]}
shift
modules=() others=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
  case $1 in
    client | browser) others+=("$1") ;;
    *) modules+=("$1::") ;;
  esac
  shift
done
# Spin serves the files as they were when it started: the demo first.
[ ${#others[@]} -eq 0 ] || clients/build.sh
[ "${1:-}" = -- ] && shift

# shellcheck source=support/servers.sh
source tests/support/servers.sh
trap stop_servers EXIT
start_servers
SERVICE_DB_URL=$(create_database auth_test "$(random_secret)")
use_servers "$SERVICE_DB_URL" 4
# As tests/run-all.sh sets them.
export SPIN_VARIABLE_REFRESH_REUSE_GRACE_SECONDS=2
export SPIN_VARIABLE_CORS_ALLOWED_ORIGINS=https://app.example.test
export SPIN_VARIABLE_LOGIN_RATE_LIMIT_PER_IP=1000000
export SPIN_VARIABLE_REGISTER_RATE_LIMIT_PER_IP=1000000
export SPIN_VARIABLE_AVAILABILITY_RATE_LIMIT_PER_IP=1000000
export SPIN_VARIABLE_OTP_SMS_PER_IP_PER_HOUR=1000000
export SPIN_VARIABLE_RECOVERY_PER_IP_PER_HOUR=1000000
# The service's hourly email budget spans every host of the run (one Redis):
# the suite registers thousands of people with an email.
export SPIN_VARIABLE_EMAIL_PER_HOUR=1000000000
# Codes by SMS go to the component's log (development mode, as ./run.sh
# sets it); tests of the gateways start hosts of their own pointed at one.
export SPIN_VARIABLE_SMS_GATEWAY=log
export SPIN_VARIABLE_EMAIL_GATEWAY=log
# Second factors sealed with a throwaway key; staff need none on the shared
# host (the tests of the rule start hosts of their own that require it).
SPIN_VARIABLE_MFA_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)
export SPIN_VARIABLE_MFA_ENCRYPTION_KEY SPIN_VARIABLE_MFA_REQUIRED_ROLES=
export AUTH_DB_ADMIN_URL=${PG_ADMIN_URL/\/postgres\?/\/auth_test?}
export AUTH_PG_SERVER_URL=$PG_ADMIN_URL
export AUTH_DB_SERVICE_URL=$SERVICE_DB_URL
export AUTH_REDIS_URL=$REDIS_URL
export AUTH_JWT_SECRET=$SPIN_VARIABLE_JWT_SECRET
export AUTH_TEST_HOST_BIN=$PWD/target/debug/spin-test-host
export AUTH_SECRETS_FILE=$WORK_DIR/secrets AUTH_OWN_HOST_LOGS=$WORK_DIR/own-hosts
: >"$AUTH_SECRETS_FILE"
mkdir -p "$AUTH_OWN_HOST_LOGS"

case $host in
  test-host)
    export AUTH_HOST=test-host
    start_host "$AUTH_TEST_HOST_BIN" ;;
  spin-p2 | spin3-p2)
    spin=$("$SHARED_SPIN" $([ "$host" = spin3-p2 ] && echo 3.6.3))
    export AUTH_HOST=spin AUTH_SPIN_BIN=$spin
    start_spin "$spin" ;;
  spin-p3)
    spin=$("$SHARED_SPIN")
    P3_SPIN_FLAGS=$(p3_spin_flags)
    export AUTH_HOST=spin AUTH_SPIN_BIN=$spin AUTH_MANIFEST=target/spin-p3.toml AUTH_SPIN_FLAGS=$P3_SPIN_FLAGS
    # shellcheck disable=SC2086
    start_spin "$spin" $P3_SPIN_FLAGS ;;
  *) echo "unknown host $host" >&2; exit 2 ;;
esac
export AUTH_BASE_URL=$HOST_URL
status=0
if [ ${#modules[@]} -gt 0 ] || [ ${#others[@]} -eq 0 ]; then
  cargo test --workspace --test behaviours --no-fail-fast -- --test-threads=4 "${modules[@]}" "$@" || status=$?
fi
component_log=$WORK_DIR/host.log
[ "$AUTH_HOST" = spin ] && component_log=$WORK_DIR/spin-state/logs/auth_stderr.txt
for other in "${others[@]}"; do
  tests/$other/run.sh "$AUTH_BASE_URL" "$component_log" || status=$?
done
if [ $status -ne 0 ]; then
  echo "== component log"; tail -n 40 "$WORK_DIR/host.log"
  [ -d "$WORK_DIR/spin-state/logs" ] && tail -n 40 "$WORK_DIR"/spin-state/logs/*
fi
exit $status
