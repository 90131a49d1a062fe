//! What differs between the two builds, and nothing else: the HTTP entry
//! point, PostgreSQL and Redis connections, and how variables are read.
//!
//! - `p2` (the default feature): spin-sdk 5.2, WASIp2, every Spin host. An
//!   instance serves one request, so a connection lives for one request.
//! - `p3`: spin-sdk 7, WASIp3, Spin ≥ 4.1. An instance serves many requests
//!   (Spin reuses it), so the settings are read once and the connections it
//!   opened stay open for the next request (`edge::kept`).
//!
//! Both offer the same names with the same shapes: `PgLink`, `RedisLink`,
//! `settings()` and the value types of Spin's WIT interfaces, which the two
//! SDKs generate from the same definitions.

#[cfg(all(feature = "p2", feature = "p3"))]
compile_error!(
    "choose one build: feature `p2` (default) or `p3` (--no-default-features --features p3)"
);

#[cfg(not(feature = "p3"))]
mod p2;
#[cfg(not(feature = "p3"))]
pub use p2::*;

#[cfg(feature = "p3")]
mod p3;
#[cfg(feature = "p3")]
pub use p3::*;
