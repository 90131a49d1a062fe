#!/usr/bin/env bash
# Deploys the WASIp2 build to Akamai Functions with `spin aka deploy`, each
# line of deploy/akamai/variables.env (see variables.example.env) as a
# --variable. Needs the `aka` plugin of Spin and a signed-in `spin aka login`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
env_file=${1:-deploy/akamai/variables.env}
args=()
while IFS= read -r line; do
  case $line in ''|'#'*) continue ;; esac
  args+=(--variable "$line")
done <"$env_file"
spin build
spin aka deploy "${args[@]}"
