//! What the core needs from the outside world, as traits. The Spin adapters in
//! `src/edge` implement them over PostgreSQL stored functions and Redis.
//!
//! One file per flow, as `core::flows` is split: each flow's outcomes and
//! its part of the store (`RegistrationStore`, `SignInStore`, …); `Store` is
//! all of them. The Redis side is in `cache`, outbound HTTP in `outbound`.

mod account;
mod administration;
mod cache;
mod organizations;
mod outbound;
mod phone_codes;
mod probes;
mod recovery;
mod registration;
mod second_factor;
mod sessions;
mod sign_in;

pub use account::*;
pub use administration::*;
pub use cache::*;
pub use organizations::*;
pub use outbound::*;
pub use phone_codes::*;
pub use probes::*;
pub use recovery::*;
pub use registration::*;
pub use second_factor::*;
pub use sessions::*;
pub use sign_in::*;

use crate::core::config::ConfigError;
use serde::Deserialize;
use serde_json::{Map, Value};

/// What went wrong talking to the database. Outcomes a client can cause
/// (a taken login, a role not allowed, …) are not errors: they come back as
/// values (the `*Outcome` enums below), since Spin's host flattens errors a
/// stored function raises into text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The database cannot be reached.
    Unavailable,
    /// Its setting (`db_url`) is missing or bad.
    Misconfigured(ConfigError),
    /// Anything else; the message is for the log, never for the client.
    Failed(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Unavailable => write!(f, "database unavailable"),
            StoreError::Misconfigured(e) => write!(f, "database not configured: {e}"),
            StoreError::Failed(m) => write!(f, "database call failed: {m}"),
        }
    }
}

impl std::error::Error for StoreError {}

/// The kinds of contact a user has (SPEC §2), as the database names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    SecondLogin,
    Phone,
    Email,
}

impl ContactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::SecondLogin => "second_login",
            ContactKind::Phone => "phone",
            ContactKind::Email => "email",
        }
    }
}

pub struct NewSession<'a> {
    /// The per-session value its refresh tokens carry (tokens.rs).
    pub refresh_seed: &'a crate::core::tokens::RefreshSeed,
    pub ttl_seconds: u32,
    pub max_sessions: u32,
    pub client: &'a ClientInfo,
}

/// Who is calling, as far as the request tells.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// An outbox event as announced on Redis: `{event_id, type, …payload}`.
#[derive(Debug, Clone, Deserialize)]
pub struct EventMessage {
    pub event_id: String,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

impl EventMessage {
    pub fn to_json(&self) -> Value {
        let mut message = self.rest.clone();
        message.insert("event_id".into(), Value::String(self.event_id.clone()));
        Value::Object(message)
    }
}

/// A role (group) as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct Role {
    pub name: String,
    pub description: String,
}

/// A page position: after this (created_at, id).
pub struct PageAfter<'a> {
    pub created_at: &'a str,
    pub id: &'a str,
}

/// The sessions of one user that the current transaction ended.
#[derive(Debug, Clone, Deserialize)]
pub struct UserSessionsEnded {
    pub user_id: String,
    pub sessions: Vec<String>,
}

/// The user and session a protected call acts for; every method below
/// answers `None`/`false` when that session is no longer active.
pub struct Caller<'a> {
    pub user_id: &'a str,
    pub session_id: &'a str,
}

/// What several flows share: the transaction around an act, the sessions it
/// ended, and the outbox.
#[allow(async_fn_in_trait)]
pub trait Transactions {
    /// Starts a transaction on this store's connection: what follows commits
    /// together or not at all.
    async fn begin(&mut self) -> Result<(), StoreError>;
    async fn commit(&mut self) -> Result<(), StoreError>;
    /// Best effort: a transaction that is not committed leaves nothing.
    async fn rollback(&mut self);
    /// The sessions the current transaction has ended so far.
    async fn sessions_ended_now(&mut self) -> Result<Vec<String>, StoreError>;
    /// The same, by user, for acts that end sessions of several users.
    async fn users_ended_now(&mut self) -> Result<Vec<UserSessionsEnded>, StoreError>;
    /// Marks events announced on Redis.
    async fn mark_published(&mut self, event_ids: &[String]) -> Result<(), StoreError>;
    /// Gives back events marked published in the transaction that wrote
    /// them (`auth.announcing`) but not announced.
    async fn mark_unpublished(&mut self, event_ids: &[String]) -> Result<(), StoreError>;
}

/// Everything the flows ask of the database: the shared transaction and
/// each flow's part. Implemented by whatever implements all of them.
pub trait Store:
    Transactions
    + RegistrationStore
    + SignInStore
    + AccountStore
    + SessionsStore
    + AdministrationStore
    + OrganizationsStore
    + PhoneCodesStore
    + ProbesStore
    + RecoveryStore
    + SecondFactorStore
{
}

impl<
        T: Transactions
            + RegistrationStore
            + SignInStore
            + AccountStore
            + SessionsStore
            + AdministrationStore
            + OrganizationsStore
            + PhoneCodesStore
            + ProbesStore
            + RecoveryStore
            + SecondFactorStore,
    > Store for T
{
}
