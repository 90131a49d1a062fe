//! `flows::phone_codes` over PostgreSQL: codes by SMS, for signing in and
//! proving a phone.

use super::{caller_params, session_params, text, uuid, PgStore};
use crate::core::ports::{
    Caller, CodeIssued, CodeTried, NewSession, PhoneCodesStore, ReauthCodeIssued, StoreError,
};
use crate::edge::host::ParameterValue;
use serde_json::Value;

impl PhoneCodesStore for PgStore<'_> {
    async fn request_otp(
        &mut self,
        phone: &str,
        purpose: &str,
        user_id: Option<&str>,
        code_digest: &[u8; 32],
        ttl_seconds: u32,
        resend_seconds: u32,
    ) -> Result<CodeIssued, StoreError> {
        let params = [
            text(phone),
            text(purpose),
            optional_uuid(user_id),
            ParameterValue::Binary(code_digest.to_vec()),
            ParameterValue::Int32(ttl_seconds as i32),
            ParameterValue::Int32(resend_seconds as i32),
        ];
        self.outcome("SELECT auth.request_otp($1, $2, $3, $4, $5, $6)", &params)
            .await
    }

    async fn withdraw_otp(
        &mut self,
        phone: &str,
        purpose: &str,
        code_digest: &[u8; 32],
    ) -> Result<(), StoreError> {
        let params = [
            text(phone),
            text(purpose),
            ParameterValue::Binary(code_digest.to_vec()),
        ];
        self.outcome::<Value>("SELECT auth.withdraw_otp($1, $2, $3)", &params)
            .await
            .map(|_| ())
    }

    async fn sign_in_with_otp(
        &mut self,
        phone: &str,
        code_digest: &[u8; 32],
        max_attempts: u32,
        session: &NewSession<'_>,
        (challenge_hash, challenge_ttl): (&[u8; 32], u32),
    ) -> Result<CodeTried, StoreError> {
        let mut params = vec![
            text(phone),
            ParameterValue::Binary(code_digest.to_vec()),
            ParameterValue::Int32(max_attempts as i32),
        ];
        params.extend(session_params(session));
        params.push(ParameterValue::Binary(challenge_hash.to_vec()));
        params.push(ParameterValue::Int32(challenge_ttl as i32));
        self.outcome(
            "SELECT auth.sign_in_with_otp($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &params,
        )
        .await
    }

    async fn prove_phone(
        &mut self,
        phone: &str,
        purpose: &str,
        user_id: Option<&str>,
        code_digest: &[u8; 32],
        max_attempts: u32,
        proof_hash: &[u8; 32],
        proof_ttl_seconds: u32,
    ) -> Result<CodeTried, StoreError> {
        let params = [
            text(phone),
            text(purpose),
            optional_uuid(user_id),
            ParameterValue::Binary(code_digest.to_vec()),
            ParameterValue::Int32(max_attempts as i32),
            ParameterValue::Binary(proof_hash.to_vec()),
            ParameterValue::Int32(proof_ttl_seconds as i32),
        ];
        self.outcome(
            "SELECT auth.prove_phone($1, $2, $3, $4, $5, $6, $7)",
            &params,
        )
        .await
    }

    async fn request_reauth_code(
        &mut self,
        caller: &Caller<'_>,
        code_digest: &[u8; 32],
        ttl_seconds: u32,
        resend_seconds: u32,
    ) -> Result<ReauthCodeIssued, StoreError> {
        let [user, session] = caller_params(caller);
        let params = [
            user,
            session,
            ParameterValue::Binary(code_digest.to_vec()),
            ParameterValue::Int32(ttl_seconds as i32),
            ParameterValue::Int32(resend_seconds as i32),
        ];
        self.outcome(
            "SELECT auth.request_reauth_code($1, $2, $3, $4, $5)",
            &params,
        )
        .await
    }

    async fn prove_account(
        &mut self,
        caller: &Caller<'_>,
        code_digest: &[u8; 32],
        max_attempts: u32,
        proof_hash: &[u8; 32],
        proof_ttl_seconds: u32,
    ) -> Result<CodeTried, StoreError> {
        let [user, session] = caller_params(caller);
        let params = [
            user,
            session,
            ParameterValue::Binary(code_digest.to_vec()),
            ParameterValue::Int32(max_attempts as i32),
            ParameterValue::Binary(proof_hash.to_vec()),
            ParameterValue::Int32(proof_ttl_seconds as i32),
        ];
        self.outcome("SELECT auth.prove_account($1, $2, $3, $4, $5, $6)", &params)
            .await
    }
}

/// A user id the core has parsed, or NULL.
fn optional_uuid(id: Option<&str>) -> ParameterValue {
    id.map_or(ParameterValue::DbNull, uuid)
}
