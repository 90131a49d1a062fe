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
}

/// Where events are announced once they are committed.
pub trait Events {
    fn publish(&mut self, channel: &str, payload: &[u8]) -> Result<(), String>;
}
