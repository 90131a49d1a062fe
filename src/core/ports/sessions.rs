//! What `flows::sessions` needs of the store: the caller's sessions.

use super::{Caller, StoreError};
use serde::Deserialize;
use serde_json::Value;

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

/// The store's part in `flows::sessions`: the caller's sessions.
#[allow(async_fn_in_trait)]
pub trait SessionsStore {
    async fn list_sessions(&mut self, caller: &Caller<'_>) -> Result<Option<Value>, StoreError>;
    async fn revoke_session(
        &mut self,
        caller: &Caller<'_>,
        target: &str,
    ) -> Result<Revocation, StoreError>;
}
