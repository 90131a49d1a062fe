//! What `flows::sign_in` needs of the store: login, refresh, logout.

use super::{Caller, NewSession, StoreError};
use crate::core::tokens::{PresentedRefresh, RefreshSeed};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Credentials {
    pub user_id: String,
    pub password_hash: Option<String>,
    /// A TOTP second factor is on: a right password opens no session by
    /// itself.
    #[serde(default)]
    pub second_factor: bool,
    /// Open and unexpired sessions when the credentials were read.
    #[serde(default)]
    pub active_sessions: u32,
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
    /// The sessions opening it ended (the oldest, past the cap).
    #[serde(default)]
    pub evicted: Vec<String>,
}

/// What a refresh answers (`auth.refresh_session`, or
/// `auth.rotate_refresh_token` for a token of the stored scheme).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Rotation {
    /// The token was the session's current one and the session moved to the
    /// next generation, or it was the one before, presented again within
    /// the grace by another tab: the token of `generation` is the answer.
    Rotated(RotatedSession),
    /// An earlier token after the grace (a replay), or any token of a
    /// session where a replay was seen before and not yet ended. The session
    /// is marked, not ended: the caller tells Redis, then ends it
    /// (`Store::end_reused_session`).
    ReuseDetected { session_id: String, user_id: String },
    /// Unknown, never issued, expired, or of an ended session.
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
    /// The generation whose refresh token to issue.
    pub generation: u64,
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
    /// Rotates the session of a presented refresh token (its MAC checked)
    /// in one statement; a replay is only reported. `seed` is the token's
    /// (`PresentedRefresh::seed`): the one it carries, or the one a session
    /// of the stored scheme moves to.
    async fn rotate_refresh_token(
        &mut self,
        presented: &PresentedRefresh,
        seed: &RefreshSeed,
        grace_seconds: u32,
    ) -> Result<Rotation, StoreError>;
    /// Ends a session marked by a replay (the replayed token is the proof);
    /// whether it was still open.
    async fn end_reused_session(
        &mut self,
        session_id: &str,
        replayed: &PresentedRefresh,
    ) -> Result<bool, StoreError>;
    async fn logout(&mut self, caller: &Caller<'_>, all: bool) -> Result<bool, StoreError>;
}
