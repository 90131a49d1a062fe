//! `flows::recovery` over PostgreSQL: verified emails and recovery from a
//! forgotten password.

use super::{caller_params, hex, optional_text, text, PgStore};
use crate::core::ports::{
    Caller, EmailVerified, NewEmailLink, PasswordReset, RecoveryChecked, RecoveryDestinations,
    RecoveryIssued, RecoveryProof, RecoveryStore, StoreError, VerificationRequested,
};
use crate::edge::host::ParameterValue;

fn binary(bytes: &[u8]) -> ParameterValue {
    ParameterValue::Binary(bytes.to_vec())
}

fn int(n: u32) -> ParameterValue {
    ParameterValue::Int32(n as i32)
}

/// A recovery proof as the functions take it: (phone, code digest, link
/// token digest), NULL where it does not apply.
fn proof_params(proof: &RecoveryProof<'_>) -> [ParameterValue; 3] {
    match proof {
        RecoveryProof::Code { phone, code_digest } => {
            [text(phone), binary(*code_digest), ParameterValue::DbNull]
        }
        RecoveryProof::Link { token_hash } => [
            ParameterValue::DbNull,
            ParameterValue::DbNull,
            binary(*token_hash),
        ],
    }
}

impl RecoveryStore for PgStore<'_> {
    async fn verify_email(
        &mut self,
        token_hash: &[u8; 32],
        opener: Option<&Caller<'_>>,
    ) -> Result<EmailVerified, StoreError> {
        let [user, session] = match opener {
            Some(caller) => caller_params(caller),
            None => [ParameterValue::DbNull, ParameterValue::DbNull],
        };
        self.outcome(
            "SELECT auth.verify_email($1, $2, $3)",
            &[binary(token_hash), user, session],
        )
        .await
    }

    async fn request_email_verification(
        &mut self,
        caller: &Caller<'_>,
        email: &str,
        link: &NewEmailLink<'_>,
        resend_seconds: u32,
    ) -> Result<VerificationRequested, StoreError> {
        let [user, session] = caller_params(caller);
        let params = [
            user,
            session,
            text(email),
            binary(link.token_hash),
            int(link.ttl_seconds),
            int(resend_seconds),
        ];
        self.outcome(
            "SELECT auth.request_email_verification($1, $2, $3, $4, $5, $6)",
            &params,
        )
        .await
    }

    async fn withdraw_email_link(&mut self, token_hash: &[u8; 32]) -> Result<(), StoreError> {
        let _: serde_json::Value = self
            .outcome("SELECT auth.withdraw_email_link($1)", &[binary(token_hash)])
            .await?;
        Ok(())
    }

    async fn recovery_destinations(
        &mut self,
        (kind, value): (&str, &str),
    ) -> Result<RecoveryDestinations, StoreError> {
        self.read_outcome(
            "SELECT auth.recovery_destinations($1, $2)",
            &[text(kind), text(value)],
        )
        .await
    }

    async fn issue_recovery(
        &mut self,
        user_id: &str,
        phone: Option<&str>,
        code_digest: &[u8; 32],
        code_ttl_seconds: u32,
        resend_seconds: u32,
        links: &[(String, [u8; 32])],
        link_ttl_seconds: u32,
    ) -> Result<RecoveryIssued, StoreError> {
        let links: Vec<serde_json::Value> = links
            .iter()
            .map(|(email, digest)| serde_json::json!({"email": email, "digest": hex(digest)}))
            .collect();
        let links = serde_json::to_vec(&links).map_err(|e| StoreError::Failed(e.to_string()))?;
        let params = [
            ParameterValue::Uuid(user_id.to_string()),
            optional_text(phone),
            binary(code_digest),
            int(code_ttl_seconds),
            int(resend_seconds),
            ParameterValue::Jsonb(links),
            int(link_ttl_seconds),
        ];
        self.outcome(
            "SELECT auth.issue_recovery($1, $2, $3, $4, $5, $6, $7)",
            &params,
        )
        .await
    }

    async fn check_recovery(
        &mut self,
        proof: &RecoveryProof<'_>,
        max_attempts: u32,
    ) -> Result<RecoveryChecked, StoreError> {
        let [phone, code, token] = proof_params(proof);
        self.outcome(
            "SELECT auth.check_recovery($1, $2, $3, $4)",
            &[phone, code, token, int(max_attempts)],
        )
        .await
    }

    async fn reset_password(
        &mut self,
        user_id: &str,
        proof: &RecoveryProof<'_>,
        max_attempts: u32,
        password_hash: &str,
    ) -> Result<PasswordReset, StoreError> {
        let [phone, code, token] = proof_params(proof);
        let params = [
            ParameterValue::Uuid(user_id.to_string()),
            phone,
            code,
            token,
            int(max_attempts),
            text(password_hash),
        ];
        self.outcome(
            "SELECT auth.reset_password($1, $2, $3, $4, $5, $6)",
            &params,
        )
        .await
    }
}
