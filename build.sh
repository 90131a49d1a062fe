#!/usr/bin/env bash
# Builds the two components Spin serves (`spin build` runs this):
#   target/auth-service.wasm     WASIp2 (spin-sdk 5.2): every Spin host,
#                                served by spin.toml;
#   target/auth-service-p3.wasm  WASIp3 (spin-sdk 7): Spin ≥ 4.1, which
#                                reuses its instances; served by
#                                target/spin-p3.toml, written here from
#                                spin.toml (only the source differs).
# Each is compiled for wasm32-wasip2 (p2: profile `component`, smallest
# code; p3: profile `component-p3`, fastest code), then pre-initialized by
# tools/preinit (Wizer): the phone metadata is loaded once here, not in
# every fresh instance.
# The first run also compiles Wasmtime for auth-preinit (several minutes).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

# The whole workspace, as the test command builds it: one feature set, so
# nothing is compiled twice.
cargo build --quiet --workspace --bins
cargo build --quiet --target wasm32-wasip2 --profile component
target/debug/auth-preinit target/wasm32-wasip2/component/auth_service.wasm target/auth-service.wasm
cargo build --quiet --target wasm32-wasip2 --profile component-p3 --no-default-features --features p3
target/debug/auth-preinit target/wasm32-wasip2/component-p3/auth_service.wasm target/auth-service-p3.wasm
sed -e 's|^source = "target/auth-service.wasm"|source = "auth-service-p3.wasm"|' \
  -e 's|source = "static"|source = "../static"|g' \
  -e '/^\[component.auth.build\]/,$d' spin.toml >target/spin-p3.toml
grep -q '^source = "auth-service-p3.wasm"' target/spin-p3.toml
grep -q 'source = "../static"' target/spin-p3.toml
