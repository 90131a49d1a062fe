//! The signed-in user's sessions: list them, end one.

use super::*;
use crate::core::config::Config;
use crate::core::guard::Principal;
use crate::core::ports::{Revocation, Revocations, Store};
use crate::core::problem::ApiError;
use serde_json::Value;

pub async fn list_sessions(
    store: &mut impl Store,
    principal: &Principal,
) -> Result<Value, ApiError> {
    inactive_is_unauthenticated(store.list_sessions(&caller(principal)).await?)
}

pub async fn revoke_session(
    config: &Config,
    store: &mut impl Store,
    revocations: &mut impl Revocations,
    principal: &Principal,
    target: &str,
) -> Result<(), ApiError> {
    // Not a session id at all: as absent as someone else's session.
    let Ok(target) = uuid::Uuid::try_parse(target) else {
        return Err(ApiError::NotFound);
    };
    let target = target.hyphenated().to_string();
    let outcome = ending_sessions(
        config,
        store,
        revocations,
        principal.user_id(),
        None,
        async |store| store.revoke_session(&caller(principal), &target).await,
    )
    .await?;
    match outcome {
        Revocation::Revoked => Ok(()),
        Revocation::NotFound => Err(ApiError::NotFound),
        Revocation::SessionInactive => Err(ApiError::InvalidToken),
    }
}
