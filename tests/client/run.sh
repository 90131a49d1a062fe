#!/usr/bin/env bash
# The README's walk-through written with the TypeScript client
# (clients/typescript), against a live service; every answer is checked
# against docs/openapi.json's JSON Schema. The test command runs it once per
# host and build.
#
#   tests/client/run.sh BASE_URL [COMPONENT_LOG]
#
# Needs AUTH_DB_ADMIN_URL (to make a superadmin, as tests/fuzz does) and the
# clients built (clients/build.sh). With COMPONENT_LOG (where the component
# writes its standard error, `email_gateway = log`) it also follows the
# email's verification link.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$here/../..
"$root/clients/build.sh"
# The clients' packages (npm workspaces in clients/), seen from here.
ln -sfn ../../clients/node_modules "$here/node_modules"
rm -rf "$here/build"
"$root/clients/node_modules/.bin/tsc" -p "$here/tsconfig.json"
node "$here/build/walkthrough.js" "$@"
