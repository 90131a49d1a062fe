//! What every end-to-end test needs: the running service (the built component
//! in the test host), and the real PostgreSQL and Redis behind it. The test
//! command (`tests/run-all.sh`) starts them and passes their addresses in
//! `AUTH_*` environment variables. One module per concern; everything is
//! re-exported here, so a behaviour uses `e2e::…`.

mod client;
pub mod contract;
mod db;
mod hosts;
mod mailbox;
mod people;
mod redis;
mod second_factor;
pub mod secrets;
mod sms_gateway;
mod spec;

pub use client::*;
pub use db::*;
pub use hosts::*;
pub use mailbox::*;
pub use people::*;
pub use redis::*;
pub use second_factor::*;
pub use sms_gateway::*;
pub use spec::*;
