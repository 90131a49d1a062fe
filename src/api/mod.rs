//! The API's surface, shared by both builds and by native tests: the paths
//! and methods it answers, and (feature `openapi`, native) the OpenAPI
//! document that describes them.

#[cfg(feature = "openapi")]
pub mod openapi;
pub mod routes;
