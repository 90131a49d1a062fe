#!/usr/bin/env bash
# The benchmark (not part of the test command): writes docs/benchmarks.md.
#
# On throwaway PostgreSQL and Redis, in one run, with one load generator
# (auth-bench, bcrypt cost 4, concurrency 16):
#   - the Python service this one replaces (../shared/reference, as its
#     owners run it: uvicorn, its own database on the same PostgreSQL,
#     Redis DB 1) twice, with one worker and with two (--workers 2, as it
#     would run on two cores), the WASIp2 build and the WASIp3 build, both
#     served by real Spin (`spin` on PATH, else ../shared/spin's 4.x):
#     register, login (each user once), login-evicting (20 sign-ins per
#     user, past the session cap), refresh (each client its own rotation
#     chain), /me and logout — req/s, p50/p99, errors, CPU per request of
#     the server, PostgreSQL and Redis; for p2 and p3 also the statements,
#     which indexes were scanned and the sessions' HOT updates (issue 30);
#   - Spin's floors: minimal p2 and p3 components (bench/floor,
#     bench/floor-p3) doing nothing, one Redis GET, one query, both;
#   - /me p99 alone and beside logins at bcrypt cost 12, for both builds;
#   - login at cost 12 against its ceiling (cores / the cost of one hash
#     inside Spin).
# Spin gets every variable from a static provider (./static-variables.py
# says why); the p3 build gets the settings ./run.sh gives it
# (P3_SPIN_FLAGS below).
#
#   bench/run.sh                    the comparison (about 13 minutes)
#   BENCH_TABLES=1 bench/run.sh     also the detailed tables of each build
#                                   at c1/c16/c64, fresh and seeded (+15 min)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
C=${BENCH_CONCURRENCY:-16}
# Each comparison scenario runs 3× its base requests (register, login,
# login-evicting and logout 1,800, refresh 9,000, /me 15,000 at c16): at
# the base counts each lasted 0.3–2 s, and runs that short moved the ratios
# by ±20 %.
export BENCH_SCALE=${BENCH_SCALE:-3}
# The hosts run as in production. A RUST_BACKTRACE inherited from a
# developer's shell makes Spin capture a backtrace for every error value it
# builds, some on every request.
unset RUST_BACKTRACE RUST_LIB_BACKTRACE
tests/support/install.sh
# shellcheck source=../tests/support/servers.sh
source tests/support/servers.sh
P3_SPIN_FLAGS=$(p3_spin_flags)
trap stop_servers EXIT

./build.sh
cargo build --quiet --release -p auth-bench
spin=$(default_spin)
[ -n "$spin" ] || { echo "bench: no Spin (neither on PATH nor in ../shared/spin)" >&2; exit 1; }
bench=target/release/auth-bench
reference=../shared/reference/python-auth-service
if [ ! -x target/reference-venv/bin/python ]; then
  echo "bench: installing the reference service's packages (target/reference-venv)"
  python3 -m venv target/reference-venv
  target/reference-venv/bin/pip install -q -r "$reference/requirements.lock.txt"
fi

start_servers
# pg_stat_statements, to show what each stored function costs (docs/benchmarks.md).
as_postgres "$PG_BIN/pg_ctl" -D "$WORK_DIR/pg/data" -l "$WORK_DIR/pg/log" -w -s \
  -o "-p $PG_PORT -k $WORK_DIR/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all" \
  restart
DB_URL=$(create_database auth_bench "$(random_secret)")
ADMIN_URL=${PG_ADMIN_URL/\/postgres\?/\/auth_bench?}
use_servers "$DB_URL" 4
POSTMASTER=$(head -n 1 "$WORK_DIR/pg/data/postmaster.pid")
psql "$ADMIN_URL" -X -q -c "CREATE EXTENSION pg_stat_statements"
# Every client calls from 127.0.0.1: lift the per-IP limits, or the
# benchmark measures 429s.
export SPIN_VARIABLE_LOGIN_RATE_LIMIT_PER_IP=1000000000
export SPIN_VARIABLE_REGISTER_RATE_LIMIT_PER_IP=1000000000
export SPIN_VARIABLE_AVAILABILITY_RATE_LIMIT_PER_IP=1000000000
RESULTS=$WORK_DIR/results
mkdir -p "$RESULTS"

{
  echo "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' (with local changes)'); $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB; load generator, servers and hosts on the same machine"
  echo "$("$spin" --version | head -n 1); PostgreSQL $(psql "$PG_ADMIN_URL" -XtAc 'SHOW server_version'), Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2); p3 served with: $P3_SPIN_FLAGS"
  echo "components: p2 $(stat -c %s target/auth-service.wasm) bytes, p3 $(stat -c %s target/auth-service-p3.wasm) bytes (pre-initialized)"
} >"$RESULTS/about"
cat "$RESULTS/about"

# Serves build $1 (p2 or p3) with real Spin; extra Spin flags follow.
serve_build() {
  local build=$1
  shift
  if [ "$build" = p3 ]; then
    # shellcheck disable=SC2086
    AUTH_MANIFEST=target/spin-p3.toml start_spin "$spin" $P3_SPIN_FLAGS "$@"
  else
    start_spin "$spin" "$@"
  fi
}


REF_PYTHON=$PWD/target/reference-venv/bin/python
PG_SUPERUSER_PASSWORD=$(sed -n 's|^postgres://postgres:\([^@]*\)@.*|\1|p' <<<"$PG_ADMIN_URL")
# Runs the comparison against the reference with $2 uvicorn workers on a
# fresh database of its own, results in $RESULTS/$1 and $1.cpu. Its run.sh
# execs uvicorn, so the PID is uvicorn's, leading a session of its own
# (setsid): with two workers auth-bench counts the CPU and memory of that
# process and all its children, and the whole group is ended after.
run_reference() {
  local name=$1 workers=$2 ref_port ref_pid
  echo
  echo "== the reference service (Python), $workers uvicorn worker(s), c$C, bcrypt cost 4"
  ref_port=$(free_port)
  (
    cd "$reference"
    export PGPASSWORD=$PG_SUPERUSER_PASSWORD POSTGRES_PASSWORD=$PG_SUPERUSER_PASSWORD
    export POSTGRES_PORT=$PG_PORT POSTGRES_DB=ref REDIS_PORT=$REDIS_PORT REDIS_DB=1
    ./setup_db.sh >/dev/null
    PYTHON=$REF_PYTHON BCRYPT_ROUNDS=4 PORT=$ref_port WORKERS=$workers \
      setsid ./run.sh >"$WORK_DIR/$name.log" 2>&1 &
    echo $! >"$WORK_DIR/$name.pid"
  )
  ref_pid=$(cat "$WORK_DIR/$name.pid")
  for _ in $(seq 150); do
    curl -fsS "http://127.0.0.1:$ref_port/docs" >/dev/null 2>&1 && break
    sleep 0.2
  done
  # One worker answering; the others start beside it.
  [ "$workers" = 1 ] || sleep 2
  "$bench" compare "http://127.0.0.1:$ref_port" "$ref_pid" "$POSTMASTER" "$C" 2>"$RESULTS/$name.cpu" | tee "$RESULTS/$name"
  # The whole group (uvicorn's supervisor and its workers), and wait until
  # it is gone, so that the next run has the cores to itself.
  kill -TERM -- "-$ref_pid" 2>/dev/null || kill "$ref_pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 -- "-$ref_pid" 2>/dev/null || kill -0 "$ref_pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$ref_pid" 2>/dev/null || kill -KILL "$ref_pid" 2>/dev/null || true
}
run_reference reference 1
run_reference reference2 2

for build in p2 p3; do
  echo
  echo "== the $build build, $("$spin" --version | head -n 1), c$C, bcrypt cost 4"
  serve_build "$build"
  # Statement and table/index counters of this run only (pg_stat_reset:
  # this database's).
  psql "$ADMIN_URL" -X -q -c "SELECT pg_stat_statements_reset()" -c "SELECT pg_stat_reset()" >/dev/null
  # p3: PostgreSQL's statements sliced by scenario ($build.profile.<scenario>;
  # the counters are reset before each one, outside its measurement).
  profile=()
  [ "$build" = p3 ] && profile=(env BENCH_PROFILE_URL="$ADMIN_URL" BENCH_PROFILE_OUT="$RESULTS/$build.profile")
  "${profile[@]}" "$bench" compare "$HOST_URL" "$HOST_PID" "$POSTMASTER" "$C" 2>"$RESULTS/$build.cpu" | tee "$RESULTS/$build"
  # The statements of this run by total time: the component's calls
  # (top level) and what the functions run inside.
  psql "$ADMIN_URL" -X -A -t -F $'\t' -c "
    SELECT calls, round((total_exec_time / calls)::numeric, 3), toplevel,
           left(regexp_replace(query, '\s+', ' ', 'g'), 90)
    FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'auth_bench')
    ORDER BY total_exec_time DESC LIMIT 15" >"$RESULTS/$build.statements"
  stop_host
  # A backend holds back its table and index counters for up to 10 s after
  # its last report; it reports them all when it exits. So: the host's
  # pooled connections gone, then the counters.
  for _ in $(seq 100); do
    [ "$(psql "$ADMIN_URL" -XtAc "SELECT count(*) FROM pg_stat_activity
      WHERE datname = 'auth_bench' AND backend_type = 'client backend' AND pid <> pg_backend_pid()")" = 0 ] && break
    sleep 0.1
  done
  # Which indexes the run used (issue 30: keep only those a query uses),
  # and how many of the session rows' updates were HOT.
  psql "$ADMIN_URL" -X -A -t -F $'\t' -c "
    SELECT indexrelname, schemaname || '.' || relname, idx_scan
    FROM pg_stat_user_indexes WHERE schemaname IN ('auth', 'accounts')
    ORDER BY schemaname, relname, indexrelname" >"$RESULTS/$build.indexes"
  psql "$ADMIN_URL" -X -A -t -F $'\t' -c "
    SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables
    WHERE schemaname = 'auth' AND relname = 'sessions'" >"$RESULTS/$build.hot"
done

echo
echo "== /me alone and beside logins at bcrypt cost 12 (8 clients reading /me, 2 signing in)"
for build in p2 p3; do
  SPIN_VARIABLE_BCRYPT_COST=12 serve_build "$build"
  "$bench" mixed "$HOST_URL" 8 2 10 | tee "$RESULTS/mixed-$build"
  stop_host
done

echo
echo "== login at bcrypt cost 12 against its ceiling"
"$bench" bcrypt 12 8 | tee "$RESULTS/bcrypt12"
for build in p2 p3; do
  SPIN_VARIABLE_BCRYPT_COST=12 serve_build "$build"
  "$bench" login "$HOST_URL" 16 96 | tee "$RESULTS/login12-$build"
  stop_host
done

echo
echo "== Spin's floors: minimal components, $("$spin" --version | head -n 1), c$C"
cargo build --quiet --release --target wasm32-wasip2 --manifest-path bench/floor/Cargo.toml --target-dir target/floor
cargo build --quiet --release --target wasm32-wasip2 --manifest-path bench/floor-p3/Cargo.toml --target-dir target/floor-p3
floor_manifest() {
  (umask 077 && cat >"$WORK_DIR/floor-$1.toml" <<TOML
spin_manifest_version = 2
[application]
name = "spin-floor"
version = "0.1.0"
[[trigger.http]]
route = "/..."
component = "floor"
[component.floor]
source = "$2"
allowed_outbound_hosts = ["postgres://127.0.0.1:$PG_PORT", "redis://127.0.0.1:$REDIS_PORT"]
[component.floor.environment]
FLOOR_DB_URL = "$DB_URL"
FLOOR_REDIS_URL = "$REDIS_URL"
TOML
  )
}
floor_manifest p2 "$PWD/target/floor/wasm32-wasip2/release/spin_floor.wasm"
floor_manifest p3 "$PWD/target/floor-p3/wasm32-wasip2/release/spin_floor_p3.wasm"
serve "$spin" up --from "$WORK_DIR/floor-p2.toml" --state-dir "$WORK_DIR/floor-state"
"$bench" paths "$HOST_URL" "$HOST_PID" "$C" 20000 /floor/nothing /floor/redis /floor/postgres /floor/both | tee "$RESULTS/floor-p2"
stop_host
# shellcheck disable=SC2086
serve "$spin" up --from "$WORK_DIR/floor-p3.toml" --state-dir "$WORK_DIR/floor-state" $P3_SPIN_FLAGS
"$bench" paths "$HOST_URL" "$HOST_PID" "$C" 20000 /floor/nothing /floor/redis-fresh /floor/redis /floor/postgres-fresh /floor/postgres /floor/both | tee "$RESULTS/floor-p3"
stop_host

bench/report.py "$RESULTS" docs/benchmarks.md
# Kept for a report written again (bench/report.py target/bench-results
# docs/benchmarks.md, after editing bench/analysis.md).
rm -rf target/bench-results && cp -r "$RESULTS" target/bench-results
echo
echo "bench: wrote docs/benchmarks.md"

[ "${BENCH_TABLES:-0}" = 1 ] || exit 0

LEVELS=${BENCH_LEVELS:-1 16 64}
tables() {
  for build in p2 p3; do
    echo
    echo "### $1, build $build served by $("$spin" --version | head -n 1), bcrypt cost 4"
    serve_build "$build"
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

