//! What the core needs from the outside world, as traits. The Spin adapters in
//! `src/edge` implement them over PostgreSQL stored functions and Redis.

use crate::core::abuse::{Forgiveness, Verdict, Window};
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
    /// Anything else; the message is for the log, never for the client.
    Failed(String),
}

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

/// What `auth.register` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RegistrationOutcome {
    Registered(Registered),
    /// An active contact of this kind already belongs to someone (also when
    /// a concurrent registration won the race for it).
    Taken {
        field: ContactKind,
    },
    UnknownInterface,
    /// These roles cannot be self-registered through the interface (empty:
    /// none were asked for).
    RolesNotAllowed {
        roles: Vec<String>,
    },
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

/// What `auth.sign_in` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SessionOutcome {
    Opened(OpenedSession),
    /// The user was deactivated after their credentials were checked.
    UserInactive,
    /// The password changed after it was checked (a racing password change).
    CredentialsChanged,
}

/// What `auth.change_password` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PasswordChangeOutcome {
    Changed,
    /// The caller's own session has ended.
    SessionInactive,
    /// Another change committed after the current password was verified.
    CredentialsChanged,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OpenedSession {
    pub session_id: String,
    pub roles: Vec<String>,
}

/// What `auth.rotate_refresh_token` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Rotation {
    /// The token was consumed and its successor stored.
    Rotated(RotatedSession),
    /// Consumed moments ago (within the grace): another tab's refresh; the
    /// successor is stored all the same.
    Concurrent(RotatedSession),
    /// Consumed after the grace: a replay; the session is now revoked.
    ReuseDetected { session_id: String },
    /// Unknown, expired, or of an ended session.
    Invalid,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RotatedSession {
    pub session_id: String,
    pub user_id: String,
    pub roles: Vec<String>,
}

/// What `auth.revoke_session` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Revocation {
    Revoked,
    /// No such session of this user (someone else's is as absent).
    NotFound,
    /// The caller's own session has ended.
    SessionInactive,
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
    fn register(
        &mut self,
        registration: &NewRegistration<'_>,
    ) -> Result<RegistrationOutcome, StoreError>;
    fn find_credentials(
        &mut self,
        contact_type: &str,
        value: &str,
    ) -> Result<Option<Credentials>, StoreError>;
    /// Opens a session after a password check, if `checked_password_hash`
    /// is still the user's (under the user's row lock); runs the user's
    /// retention first.
    fn sign_in(
        &mut self,
        user_id: &str,
        checked_password_hash: &str,
        session: &NewSession<'_>,
        retention_days: u32,
    ) -> Result<SessionOutcome, StoreError>;
    /// Atomically consumes a refresh token and stores its successor.
    fn rotate_refresh_token(
        &mut self,
        presented: &[u8; 32],
        successor: &[u8; 32],
        grace_seconds: u32,
    ) -> Result<Rotation, StoreError>;
    fn me(&mut self, caller: &Caller<'_>) -> Result<Option<Value>, StoreError>;
    fn list_sessions(&mut self, caller: &Caller<'_>) -> Result<Option<Value>, StoreError>;
    fn revoke_session(
        &mut self,
        caller: &Caller<'_>,
        target: &str,
    ) -> Result<Revocation, StoreError>;
    fn logout(&mut self, caller: &Caller<'_>, all: bool) -> Result<bool, StoreError>;
    fn password_credentials(
        &mut self,
        caller: &Caller<'_>,
    ) -> Result<Option<PasswordCredentials>, StoreError>;
    fn change_password(
        &mut self,
        caller: &Caller<'_>,
        checked_password_hash: &str,
        new_password_hash: &str,
    ) -> Result<PasswordChangeOutcome, StoreError>;
}

/// What went wrong talking to Redis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheError {
    /// No connection (refused, not allowed, timed out).
    Unreachable(String),
    /// Connected, but the command failed or answered something unexpected.
    Failed(String),
}

impl std::fmt::Display for CacheError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CacheError::Unreachable(m) => write!(f, "Redis unreachable: {m}"),
            CacheError::Failed(m) => write!(f, "Redis command failed: {m}"),
        }
    }
}

/// The access-token blacklist (Redis).
pub trait Revocations {
    fn is_revoked(&mut self, jti: &str) -> Result<bool, CacheError>;
    /// Blacklists `jti` for `ttl_seconds` (the token's remaining lifetime).
    fn revoke(&mut self, jti: &str, ttl_seconds: u64) -> Result<(), CacheError>;
}

/// Where events are announced once they are committed.
pub trait Events {
    fn publish(&mut self, channel: &str, payload: &[u8]) -> Result<(), CacheError>;
}

/// The counters of `core::abuse` (Redis).
pub trait Throttle {
    /// Checks every window and, unless one refuses, counts the attempt in
    /// all of them — atomically, so concurrent attempts cannot slip past.
    fn hit(&mut self, windows: &[Window]) -> Result<Verdict, CacheError>;
    /// Takes back what a successful login was counted for.
    fn forgive(&mut self, forgiveness: &Forgiveness) -> Result<(), CacheError>;
}
