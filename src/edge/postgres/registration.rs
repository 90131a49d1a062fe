//! `flows::registration` over PostgreSQL: registering a user (`POST
//! /auth/register`).

use super::{email_link_params, optional_text, session_params, text, text_array, PgStore};
use crate::core::ports::{NewRegistration, RegistrationOutcome, RegistrationStore, StoreError};
use crate::edge::host::ParameterValue;

impl RegistrationStore for PgStore<'_> {
    async fn register_by_phone(
        &mut self,
        proof_hash: &[u8; 32],
        r: &NewRegistration<'_>,
    ) -> Result<RegistrationOutcome, StoreError> {
        let profile =
            serde_json::to_vec(r.profile).map_err(|e| StoreError::Failed(e.to_string()))?;
        let mut params = vec![
            ParameterValue::Binary(proof_hash.to_vec()),
            text(r.second_login),
            text(r.phone),
            optional_text(r.email),
            ParameterValue::Jsonb(profile),
            text_array(r.group_names),
            text(r.interface),
        ];
        let [token, ttl, _limit, user_agent, ip] = session_params(&r.session);
        params.extend([token, ttl, user_agent, ip]);
        params.push(ParameterValue::Int32(r.outbox_retry_seconds as i32));
        params.extend(email_link_params(r.email_link.as_ref()));
        self.outcome(
            "SELECT auth.register_by_phone($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            &params,
        )
        .await
    }

    async fn register(
        &mut self,
        r: &NewRegistration<'_>,
    ) -> Result<RegistrationOutcome, StoreError> {
        let profile =
            serde_json::to_vec(r.profile).map_err(|e| StoreError::Failed(e.to_string()))?;
        let mut params = vec![
            text(r.second_login),
            text(r.phone),
            optional_text(r.email),
            optional_text(r.password_hash),
            ParameterValue::Jsonb(profile),
            text_array(r.group_names),
            text(r.interface),
        ];
        // A new user's session: no limit to apply (see auth.register).
        let [token, ttl, _limit, user_agent, ip] = session_params(&r.session);
        params.extend([token, ttl, user_agent, ip]);
        params.push(ParameterValue::Int32(r.outbox_retry_seconds as i32));
        params.extend(email_link_params(r.email_link.as_ref()));
        self.outcome(
            "SELECT auth.register($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            &params,
        )
        .await
    }
}
