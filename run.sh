#!/usr/bin/env bash
# Runs the auth service on http://127.0.0.1:3000 (PORT to change it).
#
# With no database configured it starts throwaway PostgreSQL and Redis (gone
# when you stop it with Ctrl-C). To use your own servers instead, set:
#   AUTH_DB_ADMIN_URL     a role that may apply migrations (owner/superuser)
#   SPIN_VARIABLE_DB_URL  the service's own connection (role auth_service)
#   SPIN_VARIABLE_DB_HOST, SPIN_VARIABLE_REDIS_URL, SPIN_VARIABLE_REDIS_HOST
# Serves with `spin up`: Spin from PATH, else the build kept in ../shared/spin;
# with neither, with the test host (tests/host).
#
# BUILD=p3 serves the WASIp3 build instead (Spin ≥ 4.1; target/spin-p3.toml),
# with the instance settings below (README, "Serving the WASIp3 build").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

tests/support/install.sh
# The React demo served at / (clients/demo → static/demo), built when stale.
clients/build.sh
# shellcheck source=tests/support/servers.sh
source tests/support/servers.sh
PORT=${PORT:-3000}
BUILD=${BUILD:-p2}
# One request at a time per instance (a bcrypt hash cannot be interrupted,
# so a second request in the same instance would wait for it); each
# instance serves up to 1,000 requests on the connections it keeps; a
# request that takes longer than 10 s (a hung Redis or PostgreSQL) is ended.
# Other values of these flags cost no less per request (docs/spin-flags.md).
P3_SPIN_FLAGS=(--max-instance-concurrent-reuse-count 1 --max-instance-reuse-count 1000 --request-timeout 10s)
# Only directories made here are deleted on exit, never one named from outside.
unset WORK_DIR OWN_WORK_DIR

if [ -z "${SPIN_VARIABLE_DB_URL:-}" ]; then
  echo "run: starting throwaway PostgreSQL and Redis"
  start_servers
  trap stop_servers EXIT
  use_servers "$(create_database auth "$(random_secret)")" "${SPIN_VARIABLE_BCRYPT_COST:-12}"
  owner_url=${PG_ADMIN_URL/\/postgres\?/\/auth?}
  echo "run: using a random development jwt_secret (tokens die with this process)"
else
  : "${AUTH_DB_ADMIN_URL:?set AUTH_DB_ADMIN_URL so the migrations can be applied}"
  sql/migrate "$AUTH_DB_ADMIN_URL"
fi
if [ -z "${SPIN_VARIABLE_JWT_SECRET:-}" ]; then
  echo "run: set SPIN_VARIABLE_JWT_SECRET (at least 32 bytes) to use your own servers" >&2
  exit 1
fi

# Codes by SMS go to the component's log unless a gateway is set: a
# development mode, chosen here and said at the first code request.
export SPIN_VARIABLE_SMS_GATEWAY=${SPIN_VARIABLE_SMS_GATEWAY:-log}
# Emails likewise (verification and recovery links), and their links open
# the demo pages this run serves.
export SPIN_VARIABLE_EMAIL_GATEWAY=${SPIN_VARIABLE_EMAIL_GATEWAY:-log}
export SPIN_VARIABLE_EMAIL_LINK_BASE=${SPIN_VARIABLE_EMAIL_LINK_BASE:-http://127.0.0.1:$PORT}
# Second-factor secrets are sealed with this key: a throwaway one for a
# throwaway database (keep yours in a secret store: losing it loses every
# enrolled second factor).
if [ -z "${SPIN_VARIABLE_MFA_ENCRYPTION_KEY:-}" ]; then
  SPIN_VARIABLE_MFA_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)
  export SPIN_VARIABLE_MFA_ENCRYPTION_KEY
fi

spin=$(default_spin)
echo "run: building the component"
if [ -n "$spin" ]; then
  "$spin" build --from spin.toml >/dev/null
  echo "run: serving with $("$spin" --version)"
  # Every variable from memory, not from Spin's environment provider
  # (./static-variables.py says why).
  [ -n "${WORK_DIR:-}" ] || make_work_dir
  write_spin_variables "$WORK_DIR/runtime-config.toml"
  runner=("$spin" up --listen "127.0.0.1:$PORT"
    --runtime-config-file "$WORK_DIR/runtime-config.toml")
  if [ "$BUILD" = p3 ]; then
    runner+=(--from target/spin-p3.toml "${P3_SPIN_FLAGS[@]}")
  else
    runner+=(--from spin.toml)
  fi
else
  ./build.sh
  [ "$BUILD" = p2 ] || { echo "run: the p3 build needs Spin ≥ 4.1; the test host serves p2 only" >&2; exit 1; }
  echo "run: Spin is not installed; serving with the test host (tests/host)"
  runner=(target/debug/spin-test-host --manifest spin.toml --listen "127.0.0.1:$PORT")
fi
# What a second terminal needs for the README's walk-through: `source
# .run-env` (owner only; deleted on exit). The log: Spin keeps the
# component's in .spin/logs/; the test host's output is copied to a file.
if [ -n "$spin" ]; then
  log=$PWD/.spin/logs/auth_stderr.txt
else
  [ -n "${WORK_DIR:-}" ] || make_work_dir
  log=$WORK_DIR/service.log
fi
(
  umask 077
  {
    echo "export BASE=http://127.0.0.1:$PORT/api/v1 LOG='$log'"
    [ -z "${owner_url:-}" ] || echo "export AUTH_DB_ADMIN_URL='$owner_url'"
  } >.run-env
)

cat <<MSG
run: http://127.0.0.1:$PORT/api/v1/auth/health
run: the API reference: http://127.0.0.1:$PORT/api/v1/docs
run: in another terminal, \`source .run-env\` and follow the README's walk-through
MSG
if [ -n "$spin" ]; then
  setsid "${runner[@]}" &
else
  setsid "${runner[@]}" > >(tee "$log") 2>&1 &
fi
HOST_PID=$!
# Ctrl-C or any exit: stop_servers stops the server, then the throwaway databases.
trap 'rm -f .run-env; stop_servers' EXIT
trap 'exit 130' INT TERM
wait "$HOST_PID"
