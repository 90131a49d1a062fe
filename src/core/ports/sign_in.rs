//! What `flows::sign_in` needs of the store: login, refresh, logout.

use super::{Caller, NewSession, StoreError};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Credentials {
    pub user_id: String,
    pub password_hash: Option<String>,
    /// A TOTP second factor is on: a right password opens no session by
    /// itself.
    #[serde(default)]
    pub second_factor: bool,
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
    /// A second factor was turned on after the credentials were read: the
    /// password is the first of two.
    SecondFactorRequired,
    /// The user already has `max_active_sessions` open and eviction was not
    /// allowed: nothing was opened.
    AtSessionLimit,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OpenedSession {
    pub session_id: String,
    pub roles: Vec<String>,
    /// The organizations its access tokens name.
    pub organizations: Vec<String>,
    /// Until the session's absolute expiry.
    pub seconds_left: i64,
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
    /// Consumed after the grace (a replay), or any token of a session where
    /// a replay was seen before and not yet ended. The session is marked,
    /// not ended: the caller tells Redis, then ends it
    /// (`Store::end_reused_session`).
    ReuseDetected { session_id: String, user_id: String },
    /// Unknown, expired, or of an ended session.
    Invalid,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RotatedSession {
    pub session_id: String,
    pub user_id: String,
    pub roles: Vec<String>,
    /// The organizations its access tokens name.
    pub organizations: Vec<String>,
    /// How the session was opened (RFC 8176): its tokens keep saying so.
    #[serde(default)]
    pub amr: Vec<String>,
    /// Until the session's absolute expiry.
    pub seconds_left: i64,
}

/// The store's part in `flows::sign_in`: login, refresh, logout.
#[allow(async_fn_in_trait)]
pub trait SignInStore {
    async fn find_credentials(
        &mut self,
        contact_type: &str,
        value: &str,
    ) -> Result<Option<Credentials>, StoreError>;
    /// Opens a session after a password check, if `checked_password_hash`
    /// is still the user's (under the user's row lock); runs the user's
    /// retention first. Without `may_evict`, a user at the session limit
    /// gets `AtSessionLimit` and nothing changes.
    async fn sign_in(
        &mut self,
        user_id: &str,
        checked_password_hash: &str,
        session: &NewSession<'_>,
        retention_days: u32,
        may_evict: bool,
    ) -> Result<SessionOutcome, StoreError>;
    /// Atomically consumes a refresh token and stores its successor; a
    /// replay is only reported.
    async fn rotate_refresh_token(
        &mut self,
        presented: &[u8; 32],
        successor: &[u8; 32],
        grace_seconds: u32,
    ) -> Result<Rotation, StoreError>;
    /// Ends a session marked by a replay (the hash of the token presented
    /// then is the proof); whether it was still open.
    async fn end_reused_session(
        &mut self,
        session_id: &str,
        replayed: &[u8; 32],
    ) -> Result<bool, StoreError>;
    async fn logout(&mut self, caller: &Caller<'_>, all: bool) -> Result<bool, StoreError>;
}
