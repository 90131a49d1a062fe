#!/usr/bin/env bash
# The test command. On a fresh Debian machine it installs what is missing,
# starts throwaway PostgreSQL and Redis on free loopback ports, applies the
# migrations, builds the component (.wasm) and the test host, runs the unit
# and host tests, then the whole end-to-end suite once under the test host
# and once under each real Spin it finds (`spin` on PATH, else the builds in
# ../shared/spin) — the WASIp2 build under each, and the WASIp3 build once
# more under each Spin ≥ 4.1, with the settings ./run.sh gives it — and
# cleans up, whatever the outcome.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

tests/support/install.sh
# The TypeScript client and the React demo (npm ci, then builds when
# stale): the demo is in static/demo before any host serves it.
clients_started=$SECONDS
clients/build.sh
clients_seconds=$((SECONDS - clients_started))
# shellcheck source=support/servers.sh
source tests/support/servers.sh

trap stop_servers EXIT

# The compiler's own reviewers first: what they refuse, nothing else runs
# for. Native, and both components' builds for wasm32-wasip2.
echo "== review: cargo fmt --check, cargo clippy -D warnings"
started=$SECONDS
cargo fmt --all --check
cargo clippy --quiet --workspace --all-targets -- -D warnings
cargo clippy --quiet --lib --target wasm32-wasip2 -- -D warnings
cargo clippy --quiet --lib --target wasm32-wasip2 --no-default-features --features p3 -- -D warnings
review_seconds=$((SECONDS - started))

mapfile -t spins < <(spin_binaries)
echo "== build: the p2 and p3 components (wasm32-wasip2) and the test host"
if [ ${#spins[@]} -gt 0 ]; then
  # `spin build` runs the manifest's build command: what is built is what Spin serves.
  "${spins[0]}" build --from spin.toml >/dev/null
else
  ./build.sh
fi
# The whole workspace at once, so `cargo test` below reuses every artifact
# (building one package alone unifies features differently).
cargo build --quiet --workspace

echo "== servers: PostgreSQL and Redis"
start_servers
SERVICE_DB_URL=$(create_database auth_test "$(random_secret)")
use_servers "$SERVICE_DB_URL" 4
# A short reuse grace keeps the replay tests quick; one browser origin for CORS.
export SPIN_VARIABLE_REFRESH_REUSE_GRACE_SECONDS=2
export SPIN_VARIABLE_CORS_ALLOWED_ORIGINS=https://app.example.test
# Every test calls from 127.0.0.1: the per-IP rate limits are lifted here, and
# the tests of the limits set their own on a host of their own.
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

failed=()
summary=("fmt and clippy (native, wasm32-wasip2 p2 and p3): $review_seconds s"
  "the TypeScript client and the React demo built (clients/build.sh): $clients_seconds s")

echo "== tests: unit (component core) and test host"
started=$SECONDS
# --workspace in every cargo call: one feature set, so nothing is rebuilt.
cargo test --workspace --lib --bins --no-fail-fast -- --test-threads=4 || failed+=("unit and host")
# The OpenAPI document: built from the wire types, equal to the served
# docs/openapi.json, and naming exactly the routes of the route table.
cargo test --lib --features openapi api:: || failed+=("OpenAPI document")
summary+=("unit and host tests: $((SECONDS - started)) s")

echo "== tests: the TypeScript client (unit, schema drift, package)"
started=$SECONDS
# node --test: one refresh for concurrent calls and tabs, AuthProblem, the
# CSRF header, src/schema.ts against docs/openapi.json, the tarball's size.
(cd clients && npm test --silent -w @logistics/auth-client) || failed+=("the TypeScript client's unit tests")
summary+=("the TypeScript client's unit tests: $((SECONDS - started)) s")

# The end-to-end suite against a served component; $1 names the host.
pass_number=0
end_to_end() {
  local name=$1 extras=${2:-} started=$SECONDS
  pass_number=$((pass_number + 1))
  echo "== tests: end-to-end under $name"
  # Every secret the suite sends or gets (tests/e2e/src/secrets.rs), and
  # the logs of the hosts tests start themselves.
  export AUTH_SECRETS_FILE=$WORK_DIR/secrets-$pass_number AUTH_OWN_HOST_LOGS=$WORK_DIR/own-hosts-$pass_number
  : >"$AUTH_SECRETS_FILE"
  mkdir -p "$AUTH_OWN_HOST_LOGS"
  # One binary (tests/e2e/tests/behaviours), its tests four at a time.
  if ! cargo test --workspace --test behaviours --no-fail-fast -- --test-threads=4; then
    failed+=("end-to-end under $name")
    echo "== component log ($name)"
    tail -n 50 "$WORK_DIR/host.log"
  fi
  # Where the component writes its standard error (codes and links, in
  # development mode).
  local component_log=$WORK_DIR/host.log
  [ "$AUTH_HOST" = spin ] && component_log=$WORK_DIR/spin-state/logs/auth_stderr.txt
  # The README's walk-through with the TypeScript client, every answer
  # checked against the OpenAPI document.
  local client_started=$SECONDS
  echo "== tests: the TypeScript client's walk-through under $name"
  if ! tests/client/run.sh "$AUTH_BASE_URL" "$component_log"; then
    failed+=("the TypeScript client's walk-through under $name")
  fi
  summary+=("the TypeScript client's walk-through under $name: $((SECONDS - client_started)) s")
  if [ "$extras" = extras ]; then
    # Schema-driven fuzzing, a short profile (tests/fuzz/run.sh says how
    # to run the full one): no 5xx, no answer the document does not
    # describe.
    local fuzz_started=$SECONDS
    if ! FUZZ_EXAMPLES=25 tests/fuzz/run.sh "$AUTH_BASE_URL"; then
      failed+=("schemathesis under $name")
    fi
    summary+=("schemathesis (25 cases per operation and phase) under $name: $((SECONDS - fuzz_started)) s")
    # The React demo in Chromium; codes by SMS are read from the log the
    # component writes its standard error to.
    local browser_started=$SECONDS
    if ! tests/browser/run.sh "$AUTH_BASE_URL" "$component_log"; then
      failed+=("the demo pages in a browser under $name")
    fi
    summary+=("demo pages in Chromium under $name: $((SECONDS - browser_started)) s (screenshots: target/browser-screenshots)")
  fi
  # Nothing secret in any log of the pass (SPEC §6): the shared host's
  # (Spin keeps the component's output under its state directory) and
  # every own host's. Neither a secret the suite used nor any access token.
  local logs=("$WORK_DIR/host.log")
  [ -d "$WORK_DIR/spin-state/logs" ] && logs+=("$WORK_DIR/spin-state/logs"/*)
  logs+=("$AUTH_OWN_HOST_LOGS"/*)
  local leaked patterns=$WORK_DIR/secret-patterns
  # An empty pattern would match every line.
  grep -v '^$' "$AUTH_SECRETS_FILE" | sort -u >"$patterns" || true
  leaked=$(cat "${logs[@]}" 2>/dev/null | grep -cF -f "$patterns" || true)
  echo "   logs checked: ${#logs[@]} files, $(cat "${logs[@]}" 2>/dev/null | wc -l) lines, against $(wc -l <"$patterns") secrets: $leaked lines hold one"
  if [ "$leaked" != 0 ]; then
    failed+=("a secret in a log under $name")
  fi
  if cat "${logs[@]}" 2>/dev/null | grep -Eq 'eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.'; then
    failed+=("an access token in a log under $name")
    echo "== a log under $name holds an access token"
  fi
  rm -rf "$AUTH_SECRETS_FILE" "$AUTH_OWN_HOST_LOGS" "$patterns"
  unset AUTH_SECRETS_FILE AUTH_OWN_HOST_LOGS
  summary+=("end-to-end under $name: $((SECONDS - started)) s")
}

export AUTH_HOST=test-host
start_host "$AUTH_TEST_HOST_BIN"
export AUTH_BASE_URL=$HOST_URL
end_to_end "the test host" extras
stop_host

if [ ${#spins[@]} -eq 0 ]; then
  echo "== no Spin found (neither on PATH nor in ../shared/spin): end-to-end ran under the test host only"
fi
for spin in "${spins[@]}"; do
  export AUTH_HOST=spin AUTH_SPIN_BIN=$spin
  start_spin "$spin"
  export AUTH_BASE_URL=$HOST_URL
  end_to_end "$("$spin" --version | head -n 1), p2 build"
  stop_host
done
# The p3 build: Spin ≥ 4.1 only (spin-sdk 7).
P3_SPIN_FLAGS=$(p3_spin_flags)
for spin in "${spins[@]}"; do
  spin_serves_p3 "$spin" || continue
  export AUTH_HOST=spin AUTH_SPIN_BIN=$spin AUTH_MANIFEST=target/spin-p3.toml AUTH_SPIN_FLAGS=$P3_SPIN_FLAGS
  # shellcheck disable=SC2086
  start_spin "$spin" $P3_SPIN_FLAGS
  export AUTH_BASE_URL=$HOST_URL
  end_to_end "$("$spin" --version | head -n 1), p3 build" extras
  stop_host
  unset AUTH_MANIFEST AUTH_SPIN_FLAGS
done

echo "== summary"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
