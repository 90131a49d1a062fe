//! `flows::sign_in` over PostgreSQL: login, refresh, logout.

use super::{caller_params, session_params, text, PgStore};
use crate::core::ports::{
    Caller, Credentials, NewSession, Rotation, SessionOutcome, SignInStore, StoreError,
};
use crate::core::tokens::{PresentedRefresh, RefreshSeed};
use crate::edge::host::ParameterValue;

impl SignInStore for PgStore<'_> {
    async fn find_credentials(
        &mut self,
        contact_type: &str,
        value: &str,
    ) -> Result<Option<Credentials>, StoreError> {
        self.read(
            "SELECT auth.find_credentials($1, $2)",
            &[text(contact_type), text(value)],
        )
        .await
    }

    async fn sign_in(
        &mut self,
        user_id: &str,
        checked_password_hash: &str,
        session: &NewSession<'_>,
        retention_days: u32,
        may_evict: bool,
    ) -> Result<SessionOutcome, StoreError> {
        let mut params = vec![
            ParameterValue::Uuid(user_id.to_string()),
            text(checked_password_hash),
        ];
        params.extend(session_params(session));
        params.push(ParameterValue::Int32(retention_days as i32));
        params.push(ParameterValue::Boolean(may_evict));
        self.outcome(
            "SELECT auth.sign_in($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &params,
        )
        .await
    }

    async fn rotate_refresh_token(
        &mut self,
        presented: &PresentedRefresh,
        seed: &RefreshSeed,
        grace_seconds: u32,
    ) -> Result<Rotation, StoreError> {
        let grace = ParameterValue::Int32(grace_seconds as i32);
        match presented {
            PresentedRefresh::Session {
                session_id,
                generation,
                ..
            } => {
                let params = [
                    ParameterValue::Uuid(session_id.clone()),
                    ParameterValue::Binary(seed.0.to_vec()),
                    ParameterValue::Int64(*generation as i64),
                    grace,
                ];
                self.outcome("SELECT auth.refresh_session($1, $2, $3, $4)", &params)
                    .await
            }
            PresentedRefresh::Stored(hash) => {
                let params = [
                    ParameterValue::Binary(hash.to_vec()),
                    ParameterValue::Binary(seed.0.to_vec()),
                    grace,
                ];
                self.outcome("SELECT auth.rotate_refresh_token($1, $2, $3)", &params)
                    .await
            }
        }
    }

    async fn end_reused_session(
        &mut self,
        session_id: &str,
        replayed: &PresentedRefresh,
    ) -> Result<bool, StoreError> {
        let (sql, proof) = match replayed {
            PresentedRefresh::Session { seed, .. } => {
                ("SELECT auth.end_replayed_session($1, $2)", seed.0.to_vec())
            }
            PresentedRefresh::Stored(hash) => {
                ("SELECT auth.end_reused_session($1, $2)", hash.to_vec())
            }
        };
        let params = [
            ParameterValue::Uuid(session_id.to_string()),
            ParameterValue::Binary(proof),
        ];
        self.call_bool(sql, &params).await
    }

    async fn logout(&mut self, caller: &Caller<'_>, all: bool) -> Result<bool, StoreError> {
        let [user, session] = caller_params(caller);
        self.call_bool(
            "SELECT auth.logout($1, $2, $3)",
            &[user, session, ParameterValue::Boolean(all)],
        )
        .await
    }
}
