//! The auth service: a Spin HTTP component.
//!
//! - [`core`] decides: identity values, passwords, tokens, the flows of each
//!   endpoint and the errors they answer with. It does not use `spin_sdk`.
//! - [`api`] names the paths and methods the service answers, and builds
//!   their OpenAPI document.
//! - `edge` adapts it to Spin: the HTTP entry point, PostgreSQL stored
//!   functions, Redis and variables.

pub mod api;
pub mod core;
mod edge;

// The p3 build's SDK under the name its macros expect.
#[cfg(feature = "p3")]
extern crate spin_sdk_p3 as spin_sdk;
