#!/usr/bin/env bash
# Builds the component Spin serves (`spin build` runs this):
#   1. compiles it for wasm32-wasip2 (profile `component`: release, smallest code);
#   2. pre-initializes it with tests/host's auth-preinit (Wizer): the phone
#      metadata is loaded once here, not in every request's fresh instance.
# The result is target/auth-service.wasm, the `source` in spin.toml.
# The first run also compiles Wasmtime for auth-preinit (several minutes).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

cargo build --quiet --target wasm32-wasip2 --profile component
# The whole workspace, as the test command builds it: one feature set, so
# nothing is compiled twice.
cargo build --quiet --workspace --bins
target/debug/auth-preinit target/wasm32-wasip2/component/auth_service.wasm target/auth-service.wasm
