# Throwaway PostgreSQL and Redis on free loopback ports, in a temporary
# directory, and the component served against them. Source this file, call
# start_servers (then create_database, use_servers, and start_host or
# start_spin as needed), and stop_servers on exit.
# Sets: WORK_DIR, PG_PORT, PG_ADMIN_URL, REDIS_PORT, REDIS_URL; start_host
# sets HOST_PID and HOST_URL.

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# PostgreSQL refuses to run as root: run its tools as the postgres user then.
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

random_secret() {
  head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32
}

# A throwaway directory of our own: the only WORK_DIR stop_servers deletes.
make_work_dir() {
  WORK_DIR=$(mktemp -d /tmp/auth-service.XXXXXX)
  OWN_WORK_DIR=$WORK_DIR
}

start_servers() {
  make_work_dir
  chmod 755 "$WORK_DIR"
  mkdir -p "$WORK_DIR/pg"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$WORK_DIR/pg"

  PG_PORT=$(free_port)
  PG_SUPERUSER_PASSWORD=$(random_secret)
  echo "$PG_SUPERUSER_PASSWORD" > "$WORK_DIR/pg/pwfile"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$WORK_DIR/pg/pwfile"
  as_postgres "$PG_BIN/initdb" -D "$WORK_DIR/pg/data" -U postgres --pwfile="$WORK_DIR/pg/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-sync >/dev/null
  rm -f "$WORK_DIR/pg/pwfile"
  as_postgres "$PG_BIN/pg_ctl" -D "$WORK_DIR/pg/data" -l "$WORK_DIR/pg/log" -w -s \
    -o "-p $PG_PORT -k $WORK_DIR/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start
  PG_ADMIN_URL="postgres://postgres:$PG_SUPERUSER_PASSWORD@127.0.0.1:$PG_PORT/postgres?sslmode=disable"

  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$WORK_DIR/redis.pid" --logfile "$WORK_DIR/redis.log" --dir "$WORK_DIR"
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  for _ in $(seq 50); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
}

# Creates database $1 with the migrations applied and the service role able
# to log in with password $2. Prints the service's connection URL.
create_database() {
  local name=$1 service_password=$2
  psql "$PG_ADMIN_URL" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $name" >/dev/null
  local admin_url=${PG_ADMIN_URL/\/postgres\?/\/$name?}
  "$(dirname "${BASH_SOURCE[0]}")/../../sql/migrate" "$admin_url" >/dev/null
  psql "$admin_url" -X -q -v ON_ERROR_STOP=1 \
    -c "ALTER ROLE auth_service WITH LOGIN PASSWORD '$service_password'" >/dev/null
  echo "postgres://auth_service:$service_password@127.0.0.1:$PG_PORT/$name?sslmode=disable"
}

# Points the component at the throwaway servers: database URL $1 (from
# create_database), a random jwt_secret, bcrypt cost $2.
use_servers() {
  export SPIN_VARIABLE_DB_URL=$1
  export SPIN_VARIABLE_DB_HOST=127.0.0.1:$PG_PORT
  export SPIN_VARIABLE_REDIS_URL=$REDIS_URL
  export SPIN_VARIABLE_REDIS_HOST=127.0.0.1:$REDIS_PORT
  SPIN_VARIABLE_JWT_SECRET=$(random_secret)$(random_secret)
  export SPIN_VARIABLE_JWT_SECRET
  export SPIN_VARIABLE_BCRYPT_COST=$2
}

# Serves the component with the command "$@" (given --listen on a free
# port), logging to $WORK_DIR/host.log, and waits until it answers.
serve() {
  local port
  port=$(free_port)
  # A session of its own, so stop_host can end the whole group: `spin up`
  # runs its server as a child process that a plain kill would orphan.
  setsid "$@" --listen "127.0.0.1:$port" >"$WORK_DIR/host.log" 2>&1 &
  HOST_PID=$!
  HOST_URL=http://127.0.0.1:$port
  for _ in $(seq 300); do
    curl -fsS "$HOST_URL/api/v1/auth/health" >/dev/null 2>&1 && return 0
    kill -0 "$HOST_PID" 2>/dev/null || break
    sleep 0.2
  done
  echo "the host did not start ($*):" >&2
  cat "$WORK_DIR/host.log" >&2
  return 1
}

# The test host binary $1.
start_host() {
  serve "$1" --manifest spin.toml
}

# Writes to $1 a Spin runtime config that answers every variable from memory
# (../../static-variables.py says why), readable by its owner only.
write_spin_variables() {
  rm -f "$1"
  python3 "$(dirname "${BASH_SOURCE[0]}")/../../static-variables.py" spin.toml "$1" 2>/dev/null
}

# Real Spin, binary $1, with the variables as set now; its logs go to the
# work directory, not to .spin/.
# The manifest is $AUTH_MANIFEST (default spin.toml); arguments after $1 go
# to `spin up`.
start_spin() {
  write_spin_variables "$WORK_DIR/runtime-config.toml"
  serve "$1" up --from "${AUTH_MANIFEST:-spin.toml}" --state-dir "$WORK_DIR/spin-state" \
    --runtime-config-file "$WORK_DIR/runtime-config.toml" "${@:2}"
}

# The instance settings ./run.sh serves the p3 build with (its P3_SPIN_FLAGS).
p3_spin_flags() {
  sed -n 's/^P3_SPIN_FLAGS=(\(.*\))$/\1/p' "$(dirname "${BASH_SOURCE[0]}")/../../run.sh"
}

# Whether Spin binary $1 serves WASIp3 components built on spin-sdk 7 (≥ 4.1).
spin_serves_p3() {
  local version
  version=$("$1" --version | awk '{print $2}')
  [ "$(printf '%s\n4.1.0-0\n' "$version" | sort -V | head -n 1)" = "4.1.0-0" ]
}

stop_host() {
  [ -n "${HOST_PID:-}" ] || return 0
  kill -TERM -- "-$HOST_PID" 2>/dev/null || kill "$HOST_PID" 2>/dev/null || true
  wait "$HOST_PID" 2>/dev/null || true
  HOST_PID=
}

SHARED_SPIN=$(dirname "${BASH_SOURCE[0]}")/../../../shared/spin/install.sh

# The real Spins to test under, one path a line: `spin` on PATH, else the
# builds kept in ../shared/spin (4.x and the last 3.x); none if neither.
spin_binaries() {
  if command -v spin >/dev/null 2>&1; then
    command -v spin
  elif [ -x "$SHARED_SPIN" ]; then
    "$SHARED_SPIN"
    "$SHARED_SPIN" 3.6.3
  fi
}

# The Spin to serve with: `spin` on PATH, else ../shared/spin's 4.x; empty if neither.
default_spin() {
  if command -v spin >/dev/null 2>&1; then
    command -v spin
  elif [ -x "$SHARED_SPIN" ]; then
    "$SHARED_SPIN"
  fi
}

stop_servers() {
  stop_host
  [ -n "${WORK_DIR:-}" ] || return 0
  if [ -f "$WORK_DIR/redis.pid" ]; then
    kill "$(cat "$WORK_DIR/redis.pid")" 2>/dev/null || true
  fi
  if [ -d "$WORK_DIR/pg/data" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$WORK_DIR/pg/data" -m immediate -s stop 2>/dev/null || true
  fi
  # Never a directory this script did not make (a WORK_DIR from outside).
  if [ "$WORK_DIR" = "${OWN_WORK_DIR:-}" ]; then
    rm -rf "$WORK_DIR"
  fi
}
