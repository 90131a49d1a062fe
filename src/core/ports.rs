//! What the core needs from the outside world, as traits. The Spin adapters in
//! `src/edge` implement them over PostgreSQL stored functions and Redis.

use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// An active contact of this type already belongs to someone.
    Taken {
        field: String,
    },
    UnknownInterface,
    RolesNotAllowed {
        roles: Vec<String>,
    },
    /// The database cannot be reached.
    Unavailable,
    /// Anything else; the message is for the log, never for the client.
    Failed(String),
}

/// Everything `auth.register` stores, already normalized and hashed.
pub struct NewRegistration<'a> {
    pub second_login: &'a str,
    pub phone: &'a str,
    pub email: Option<&'a str>,
    pub password_hash: &'a str,
    pub profile: &'a Map<String, Value>,
    pub group_names: &'a [String],
    pub interface: &'a str,
    pub session: NewSession<'a>,
}

pub struct NewSession<'a> {
    pub refresh_token_hash: &'a [u8; 32],
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

#[derive(Debug, Clone, Deserialize)]
pub struct Registered {
    pub user_id: String,
    pub created_at: String,
    pub roles: Vec<String>,
    pub session_id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Credentials {
    pub user_id: String,
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OpenedSession {
    pub session_id: String,
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Rotation {
    /// `rotated`, `concurrent` (within the grace), `reuse_detected` or `invalid`.
    pub outcome: String,
    pub session_id: Option<String>,
    pub user_id: Option<String>,
    pub roles: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PasswordCredentials {
    pub password_hash: Option<String>,
    /// The user's active contact values, which a new password may not equal.
    pub identifiers: Vec<String>,
}

/// The user and session a protected call acts for; every method below
/// answers `None`/`false` when that session is no longer active.
pub struct Caller<'a> {
    pub user_id: &'a str,
    pub session_id: &'a str,
}

pub trait Store {
    /// One transaction: user, contacts, memberships, session, refresh token, event.
    fn register(&mut self, registration: &NewRegistration<'_>) -> Result<Registered, StoreError>;
    fn find_credentials(
        &mut self,
        contact_type: &str,
        value: &str,
    ) -> Result<Option<Credentials>, StoreError>;
    fn open_session(
        &mut self,
        user_id: &str,
        session: &NewSession<'_>,
    ) -> Result<OpenedSession, StoreError>;
    /// Atomically consumes a refresh token and stores its successor.
    fn rotate_refresh_token(
        &mut self,
        presented: &[u8; 32],
        successor: &[u8; 32],
        grace_seconds: u32,
    ) -> Result<Rotation, StoreError>;
    fn me(&mut self, caller: &Caller<'_>) -> Result<Option<Value>, StoreError>;
    fn list_sessions(&mut self, caller: &Caller<'_>) -> Result<Option<Value>, StoreError>;
    /// `revoked`, `not_found` or `session_inactive`.
    fn revoke_session(&mut self, caller: &Caller<'_>, target: &str) -> Result<String, StoreError>;
    fn logout(&mut self, caller: &Caller<'_>, all: bool) -> Result<bool, StoreError>;
    fn password_credentials(
        &mut self,
        caller: &Caller<'_>,
    ) -> Result<Option<PasswordCredentials>, StoreError>;
    fn change_password(
        &mut self,
        caller: &Caller<'_>,
        password_hash: &str,
    ) -> Result<bool, StoreError>;
}

/// The access-token blacklist (Redis).
pub trait Revocations {
    fn is_revoked(&mut self, jti: &str) -> Result<bool, String>;
    /// Blacklists `jti` for `ttl_seconds` (the token's remaining lifetime).
    fn revoke(&mut self, jti: &str, ttl_seconds: u64) -> Result<(), String>;
}

/// Where events are announced once they are committed.
pub trait Events {
    fn publish(&mut self, channel: &str, payload: &[u8]) -> Result<(), String>;
}
