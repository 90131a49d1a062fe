//! The core decides: identity rules, tokens, passwords, errors and the flows
//! of each endpoint. Nothing here knows about Spin; `crate::edge` adapts it.

pub mod abuse;
pub mod audit;
pub mod client_address;
pub mod config;
pub mod email;
pub mod flows;
pub mod guard;
pub mod identity;
pub mod jwt_crypto;
pub mod keys;
pub mod otp;
pub mod passwords;
pub mod ports;
pub mod problem;
pub mod secret;
pub mod sms;
pub mod tokens;
pub mod totp;
pub mod web;
