//! `flows::phone_codes` over PostgreSQL: codes by SMS, for signing in and
//! proving a phone.

use super::{session_params, text, PgStore};
use crate::core::ports::{CodeIssued, CodeTried, NewSession, PhoneCodesStore, StoreError};
use crate::edge::host::ParameterValue;
use serde_json::Value;

impl PhoneCodesStore for PgStore<'_> {
    async fn request_otp(
        &mut self,
        phone: &str,
        purpose: &str,
        code_digest: &[u8; 32],
        ttl_seconds: u32,
        resend_seconds: u32,
    ) -> Result<CodeIssued, StoreError> {
        let params = [
            text(phone),
            text(purpose),
            ParameterValue::Binary(code_digest.to_vec()),
            ParameterValue::Int32(ttl_seconds as i32),
            ParameterValue::Int32(resend_seconds as i32),
        ];
        self.outcome("SELECT auth.request_otp($1, $2, $3, $4, $5)", &params)
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
    ) -> Result<CodeTried, StoreError> {
        let mut params = vec![
            text(phone),
            ParameterValue::Binary(code_digest.to_vec()),
            ParameterValue::Int32(max_attempts as i32),
        ];
        params.extend(session_params(session));
        self.outcome(
            "SELECT auth.sign_in_with_otp($1, $2, $3, $4, $5, $6, $7, $8)",
            &params,
        )
        .await
    }

    async fn prove_phone(
        &mut self,
        phone: &str,
        purpose: &str,
        code_digest: &[u8; 32],
        max_attempts: u32,
        proof_hash: &[u8; 32],
        proof_ttl_seconds: u32,
    ) -> Result<CodeTried, StoreError> {
        let params = [
            text(phone),
            text(purpose),
            ParameterValue::Binary(code_digest.to_vec()),
            ParameterValue::Int32(max_attempts as i32),
            ParameterValue::Binary(proof_hash.to_vec()),
            ParameterValue::Int32(proof_ttl_seconds as i32),
        ];
        self.outcome("SELECT auth.prove_phone($1, $2, $3, $4, $5, $6)", &params)
            .await
    }
}
