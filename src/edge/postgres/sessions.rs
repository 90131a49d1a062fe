//! `flows::sessions` over PostgreSQL: the caller's sessions.

use super::{caller_params, PgStore};
use crate::core::ports::{Caller, Revocation, SessionsStore, StoreError};
use crate::edge::host::ParameterValue;
use serde_json::Value;

impl SessionsStore for PgStore<'_> {
    async fn list_sessions(&mut self, caller: &Caller<'_>) -> Result<Option<Value>, StoreError> {
        self.read("SELECT auth.list_sessions($1, $2)", &caller_params(caller))
            .await
    }

    async fn revoke_session(
        &mut self,
        caller: &Caller<'_>,
        target: &str,
    ) -> Result<Revocation, StoreError> {
        let [user, session] = caller_params(caller);
        let params = [user, session, ParameterValue::Uuid(target.to_string())];
        self.outcome("SELECT auth.revoke_session($1, $2, $3)", &params)
            .await
    }
}
