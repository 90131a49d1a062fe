#!/usr/bin/env bash
# Schema-driven fuzzing of the running service at $1 (e.g.
# http://127.0.0.1:3000) with schemathesis 4: every phase (examples,
# coverage, fuzzing, stateful through the document's links) and every
# check, FUZZ_EXAMPLES cases per operation (default 200). Fails on any
# 5xx, any answer the document does not describe, any crash.
# Needs AUTH_DB_ADMIN_URL (to make the fuzzing account a superadmin).
# tests/run-all.sh runs it with FUZZ_EXAMPLES=25 (about a minute) against
# the test host and against Spin's p3 build; the full run (about 7
# minutes, 10,000 cases): ./run.sh, then tests/fuzz/run.sh http://127.0.0.1:3000
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
base=${1:?give the base URL of the service}
venv=$here/../../target/schemathesis-venv
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis>=4,<5"
fi

# The fuzzing account: a customer made superadmin, so every operation is
# reachable. Its password is random and never printed.
suffix=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
export FUZZ_BASE_URL=$base FUZZ_LOGIN="fuzz$suffix"
FUZZ_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
export FUZZ_PASSWORD
# The test command checks that no log holds it.
[ -n "${AUTH_SECRETS_FILE:-}" ] && echo "$FUZZ_PASSWORD" >>"$AUTH_SECRETS_FILE"
user_id=$(python3 "$here/make_account.py")
psql "$AUTH_DB_ADMIN_URL" -qc "INSERT INTO accounts.memberships (user_id, group_name) VALUES ('$user_id', 'superadmin')"

cd "$here"
export SCHEMATHESIS_HOOKS=hooks
PYTHONPATH=$here "$venv/bin/schemathesis" --config-file "$here/schemathesis.toml" run \
  "$base/api/v1/openapi.json" \
  --phases examples,coverage,fuzzing,stateful \
  --checks all \
  --max-examples "${FUZZ_EXAMPLES:-200}" \
  --workers 2 \
  --no-color
