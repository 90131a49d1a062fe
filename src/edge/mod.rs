//! The Spin edge: the HTTP entry point and the adapters that give the core
//! PostgreSQL, Redis and variables. Only this module uses `spin_sdk`, and
//! only `host` differs between the WASIp2 and WASIp3 builds.

// The served instance's allocator (used by `preinit`); its tests run natively.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod arena;
mod client;
// The exported handler only exists in the component; native builds (unit
// tests) leave it out, as they cannot export `wasi:http/incoming-handler`.
#[cfg(target_arch = "wasm32")]
mod files;
#[cfg(target_arch = "wasm32")]
mod host;
#[cfg(target_arch = "wasm32")]
mod http;
#[cfg(target_arch = "wasm32")]
mod kept;
#[cfg(target_arch = "wasm32")]
mod outbound;
// What a PostgreSQL error means, read from what Spin hands over; its tests
// run natively.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod pg_errors;
#[cfg(target_arch = "wasm32")]
mod postgres;
#[cfg(target_arch = "wasm32")]
mod preinit;
#[cfg(target_arch = "wasm32")]
mod redis;
