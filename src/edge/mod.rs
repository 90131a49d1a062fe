//! The Spin edge: the HTTP entry point and the adapters that give the core
//! PostgreSQL, Redis and variables. Only this module uses `spin_sdk`.

mod client;
// The exported handler only exists in the component; native builds (unit
// tests) leave it out, as they cannot export `wasi:http/incoming-handler`.
#[cfg(target_arch = "wasm32")]
mod http;
#[cfg(target_arch = "wasm32")]
mod postgres;
#[cfg(target_arch = "wasm32")]
mod preinit;
#[cfg(target_arch = "wasm32")]
mod redis;
#[cfg(target_arch = "wasm32")]
mod variables;
