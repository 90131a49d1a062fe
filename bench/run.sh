#!/usr/bin/env bash
# The benchmark (not part of the test command). On throwaway PostgreSQL and
# Redis it serves the pre-initialized component (./build.sh) with real Spin
# (`spin` on PATH, else ../shared/spin's 4.x) and with a release build of the
# test host, and prints, for each: one table at concurrency 1, 16 and 64 —
# register, login, login by phone, refresh (each client its own rotation
# chain), /me, logout, /health and a 404: req/s, p50/p90/p99 latency,
# errors, server RSS. Then the same after seeding 10,000 users and 100,000
# ended sessions; the native floor of refresh and /me (their PostgreSQL and
# Redis calls from a native client); Spin's floor (bench/floor: a minimal
# component making one Redis GET, one key-value GET, one PostgreSQL query, a
# Redis GET and a query, or nothing); bcrypt natively; and login at bcrypt
# cost 12 against its ceiling. bcrypt cost 4 unless said otherwise. Spin gets
# every variable from a static provider (./static-variables.py says why).
#
#   bench/run.sh            the whole run (about 15 minutes)
#   BENCH_LEVELS="16" bench/run.sh    only the given concurrencies
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
LEVELS=${BENCH_LEVELS:-1 16 64}
# The hosts run as in production. A RUST_BACKTRACE inherited from a
# developer's shell makes Spin capture a backtrace for every error value it
# builds, some on every request (measured: /me 1,540 -> 1,890 req/s at c16
# once unset).
unset RUST_BACKTRACE RUST_LIB_BACKTRACE

tests/support/install.sh
# shellcheck source=../tests/support/servers.sh
source tests/support/servers.sh
trap stop_servers EXIT

./build.sh
cargo build --quiet --release -p spin-test-host -p auth-bench
spin=$(default_spin)
[ -n "$spin" ] || { echo "bench: no Spin (neither on PATH nor in ../shared/spin)" >&2; exit 1; }
bench=target/release/auth-bench
host=target/release/spin-test-host

start_servers
DB_URL=$(create_database auth_bench "$(random_secret)")
ADMIN_URL=${PG_ADMIN_URL/\/postgres\?/\/auth_bench?}
use_servers "$DB_URL" 4
# Every client calls from 127.0.0.1: lift the per-IP limits, or the
# benchmark measures 429s.
export SPIN_VARIABLE_LOGIN_RATE_LIMIT_PER_IP=1000000000
export SPIN_VARIABLE_REGISTER_RATE_LIMIT_PER_IP=1000000000
export SPIN_VARIABLE_AVAILABILITY_RATE_LIMIT_PER_IP=1000000000

echo "# auth-service benchmark"
echo "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' (with local changes)'); $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB; load generator, servers and host on the same machine"
echo "$("$spin" --version | head -n 1); test host: wasmtime $(grep -A1 '^name = "wasmtime"$' Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p')"
echo "component: target/auth-service.wasm, $(stat -c %s target/auth-service.wasm) bytes (pre-initialized; $(stat -c %s target/wasm32-wasip2/component/auth_service.wasm) before)"
echo "PostgreSQL $(psql "$PG_ADMIN_URL" -XtAc 'SHOW server_version'), Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2)"

serve_with() {
  if [ "$1" = spin ]; then start_spin "$spin"; else start_host "$host"; fi
}

tables() {
  for kind in spin test-host; do
    echo
    echo "### $1, served by $([ "$kind" = spin ] && "$spin" --version | head -n 1 || echo 'the test host (release)'), bcrypt cost 4"
    serve_with "$kind"
    # shellcheck disable=SC2086
    "$bench" table "$HOST_URL" "$HOST_PID" $LEVELS
    stop_host
  done
}

tables "fresh database"

echo
echo "seeding 10,000 users and 100,000 ended sessions…"
psql "$ADMIN_URL" -X -q -v ON_ERROR_STOP=1 <<'SQL'
INSERT INTO accounts.users (id, password_hash)
  SELECT gen_random_uuid(), '$2b$04$' || repeat('x', 53) FROM generate_series(1, 10000);
INSERT INTO accounts.contacts (user_id, contact_type, value)
  SELECT id, 'second_login', 'seeded' || row_number() OVER () FROM accounts.users
  WHERE password_hash = '$2b$04$' || repeat('x', 53);
INSERT INTO accounts.contacts (user_id, contact_type, value)
  SELECT id, 'phone', '+7999' || lpad((row_number() OVER ())::text, 7, '0') FROM accounts.users
  WHERE password_hash = '$2b$04$' || repeat('x', 53);
INSERT INTO auth.sessions (user_id, created_at, expires_at, revoked_at, revoked_reason)
  SELECT u.id, now() - interval '2 days', now() + interval '28 days',
         now() - random() * interval '1 day', 'logout'
  FROM accounts.users u CROSS JOIN generate_series(1, 10) s
  WHERE u.password_hash = '$2b$04$' || repeat('x', 53);
ANALYZE;
SQL
echo "$(psql "$ADMIN_URL" -XtAc 'SELECT count(*) FROM accounts.users') users, $(psql "$ADMIN_URL" -XtAc 'SELECT count(*) FROM auth.sessions WHERE revoked_at IS NOT NULL') ended sessions"
tables "10,000 users and 100,000 ended sessions"

echo
echo "### native floor: the Redis calls of /me and the PostgreSQL calls of refresh (with the clean-up Spin's pool sends), no HTTP, no WebAssembly"
serve_with spin
"$bench" floor "$HOST_URL" "$DB_URL" "$REDIS_URL" 16 3000
stop_host

echo
echo "### Spin's floor: bench/floor, a minimal component on the same spin-sdk, served by $("$spin" --version | head -n 1): nothing; one Redis GET on a new connection; one GET through Spin's key-value store (Redis backend, one connection for the app); one PostgreSQL query; a Redis GET and a query"
cargo build --quiet --release --target wasm32-wasip2 --manifest-path bench/floor/Cargo.toml --target-dir target/floor
(umask 077 && cat >"$WORK_DIR/floor.toml" <<TOML
spin_manifest_version = 2
[application]
name = "spin-floor"
version = "0.1.0"
[[trigger.http]]
route = "/..."
component = "floor"
[component.floor]
source = "$PWD/target/floor/wasm32-wasip2/release/spin_floor.wasm"
allowed_outbound_hosts = ["postgres://127.0.0.1:$PG_PORT", "redis://127.0.0.1:$REDIS_PORT"]
key_value_stores = ["default"]
[component.floor.environment]
FLOOR_DB_URL = "$DB_URL"
FLOOR_REDIS_URL = "$REDIS_URL"
TOML
)
printf '[key_value_store.default]\ntype = "redis"\nurl = "%s"\n' "$REDIS_URL" >"$WORK_DIR/floor-runtime-config.toml"
serve "$spin" up --from "$WORK_DIR/floor.toml" --state-dir "$WORK_DIR/floor-state" \
  --runtime-config-file "$WORK_DIR/floor-runtime-config.toml"
"$bench" paths "$HOST_URL" "$HOST_PID" 16 20000 /floor/nothing /floor/redis /floor/kv /floor/postgres /floor/both
stop_host

echo
echo "### bcrypt"
"$bench" bcrypt 4 200
"$bench" bcrypt 12 8
echo
echo "### login at bcrypt cost 12, served by $("$spin" --version | head -n 1)"
SPIN_VARIABLE_BCRYPT_COST=12 serve_with spin
"$bench" login "$HOST_URL" 16 96
stop_host
