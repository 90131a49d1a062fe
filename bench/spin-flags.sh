#!/usr/bin/env bash
# Whether Spin's instance flags change what the WASIp3 build costs (issue 30,
# item 6): the comparison scenarios of auth-bench (register, login, login
# past the session cap, refresh, /me, logout; c16, bcrypt cost 4) against
# the p3 build served by real Spin with each setting below, one after the
# other on one PostgreSQL and Redis. Writes docs/spin-flags.md.
#
#   bench/spin-flags.sh        (about 10 minutes; not part of the test command)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
C=${BENCH_CONCURRENCY:-16}
export BENCH_SCALE=${BENCH_SCALE:-1}
unset RUST_BACKTRACE RUST_LIB_BACKTRACE
tests/support/install.sh
# shellcheck source=../tests/support/servers.sh
source tests/support/servers.sh
trap stop_servers EXIT
./build.sh
cargo build --quiet --release -p auth-bench
spin=$(default_spin)
[ -n "$spin" ] || { echo "spin-flags: no Spin" >&2; exit 1; }
spin_serves_p3 "$spin" || { echo "spin-flags: the p3 build needs Spin ≥ 4.1" >&2; exit 1; }
start_servers
DB_URL=$(create_database auth_flags "$(random_secret)")
use_servers "$DB_URL" 4
POSTMASTER=$(head -n 1 "$WORK_DIR/pg/data/postmaster.pid")
export SPIN_VARIABLE_LOGIN_RATE_LIMIT_PER_IP=1000000000
export SPIN_VARIABLE_REGISTER_RATE_LIMIT_PER_IP=1000000000
export SPIN_VARIABLE_AVAILABILITY_RATE_LIMIT_PER_IP=1000000000
RESULTS=$WORK_DIR/results
mkdir -p "$RESULTS"

settings=(
  "--max-instance-concurrent-reuse-count 1 --max-instance-reuse-count 1000"
  "--max-instance-concurrent-reuse-count 1 --max-instance-reuse-count 128"
  "--max-instance-concurrent-reuse-count 1 --max-instance-reuse-count 10000 --idle-instance-timeout 10s"
  "--max-instance-concurrent-reuse-count 4 --max-instance-reuse-count 1000"
  "--max-instance-concurrent-reuse-count 16 --max-instance-reuse-count 128"
  # The first setting again: how far the same setting moves within one run.
  "--max-instance-concurrent-reuse-count 1 --max-instance-reuse-count 1000"
)
n=0
for setting in "${settings[@]}"; do
  n=$((n + 1))
  echo "== p3, $setting"
  # shellcheck disable=SC2086
  AUTH_MANIFEST=target/spin-p3.toml start_spin "$spin" $setting --request-timeout 10s
  target/release/auth-bench compare "$HOST_URL" "$HOST_PID" "$POSTMASTER" "$C" \
    2>"$RESULTS/$n.cpu" | tee "$RESULTS/$n"
  stop_host
done

{
  echo "# Spin's instance flags and the WASIp3 build"
  echo
  echo "Written by \`bench/spin-flags.sh\` (run it again rather than edit). One run:"
  echo "commit $(git rev-parse --short HEAD), $(date -u '+%Y-%m-%d %H:%M UTC'), $("$spin" --version | head -n 1),"
  echo "$(nproc) cores, c$C, bcrypt cost 4, each setting with \`--request-timeout 10s\`."
  echo "Each cell: requests per second, then the host's (Spin's) CPU ms per request."
  echo "Runs this short move by ±10–20 %."
  echo
  printf '| setting |'
  for s in register login login-evicting refresh me logout; do printf ' %s |' "$s"; done
  echo
  echo '|---|---|---|---|---|---|---|'
  n=0
  for setting in "${settings[@]}"; do
    n=$((n + 1))
    printf '| `%s` |' "$setting"
    for s in register login login-evicting refresh me logout; do
      rate=$(awk -v s="$s" '$1 == s {printf "%.0f/s", $2}' "$RESULTS/$n")
      host=$(sed -n "s/^ *$s: CPU ms per request: server \([0-9.]*\),.*/\1/p" "$RESULTS/$n.cpu")
      printf ' %s, %s ms |' "${rate:-?}" "${host:-?}"
    done
    echo
  done
} >docs/spin-flags.md
cat docs/spin-flags.md
