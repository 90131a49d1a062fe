//! `flows::second_factor` over PostgreSQL: TOTP enrolment, the second step
//! of a sign-in, turning it off.

use super::account::account_params;
use super::{caller_params, hex, session_params, text, PgStore};
use crate::core::ports::{
    AccountProof, Caller, EnrolmentStarted, NewSession, PendingChallenge, SealedSample,
    SecondFactorChallenged, SecondFactorCompleted, SecondFactorStore, SecondStep, StoreError,
    TotpConfirmed, TotpDisabled, TotpState,
};
use crate::edge::host::ParameterValue;

fn binary(bytes: &[u8]) -> ParameterValue {
    ParameterValue::Binary(bytes.to_vec())
}

fn int(n: u32) -> ParameterValue {
    ParameterValue::Int32(n as i32)
}

/// (the time step, the recovery code's digest), NULL where not given.
fn step_params(step: SecondStep) -> [ParameterValue; 2] {
    match step {
        SecondStep::Step(step) => [ParameterValue::Int64(step), ParameterValue::DbNull],
        SecondStep::RecoveryCode(digest) => [ParameterValue::DbNull, binary(&digest)],
        SecondStep::Wrong => [ParameterValue::DbNull, ParameterValue::DbNull],
    }
}

impl SecondFactorStore for PgStore<'_> {
    async fn challenge_second_factor(
        &mut self,
        user_id: &str,
        checked_password_hash: &str,
        token_hash: &[u8; 32],
        ttl_seconds: u32,
    ) -> Result<SecondFactorChallenged, StoreError> {
        let params = [
            ParameterValue::Uuid(user_id.to_string()),
            text(checked_password_hash),
            binary(token_hash),
            int(ttl_seconds),
        ];
        self.outcome(
            "SELECT auth.challenge_second_factor($1, $2, $3, $4)",
            &params,
        )
        .await
    }

    async fn second_factor_challenge(
        &mut self,
        token_hash: &[u8; 32],
    ) -> Result<PendingChallenge, StoreError> {
        self.read_outcome(
            "SELECT auth.second_factor_challenge($1)",
            &[binary(token_hash)],
        )
        .await
    }

    async fn complete_second_factor(
        &mut self,
        token_hash: &[u8; 32],
        step: SecondStep,
        max_attempts: u32,
        session: &NewSession<'_>,
    ) -> Result<SecondFactorCompleted, StoreError> {
        let [step, recovery] = step_params(step);
        let mut params = vec![binary(token_hash), step, recovery, int(max_attempts)];
        params.extend(session_params(session));
        self.outcome(
            "SELECT auth.complete_second_factor($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &params,
        )
        .await
    }

    async fn start_totp_enrolment(
        &mut self,
        caller: &Caller<'_>,
        account: &AccountProof,
        sealed_secret: &[u8],
    ) -> Result<EnrolmentStarted, StoreError> {
        let [user, session] = caller_params(caller);
        let [password, reauth] = account_params(Some(account));
        let params = [user, session, password, reauth, binary(sealed_secret)];
        self.outcome(
            "SELECT auth.start_totp_enrolment($1, $2, $3, $4, $5)",
            &params,
        )
        .await
    }

    async fn totp_of(&mut self, caller: &Caller<'_>) -> Result<TotpState, StoreError> {
        let [user, session] = caller_params(caller);
        self.read_outcome("SELECT auth.totp_of($1, $2)", &[user, session])
            .await
    }

    async fn confirm_totp(
        &mut self,
        caller: &Caller<'_>,
        sealed_secret: &[u8],
        step: i64,
        recovery_digests: &[[u8; 32]],
    ) -> Result<TotpConfirmed, StoreError> {
        let [user, session] = caller_params(caller);
        let digests =
            serde_json::to_vec(&recovery_digests.iter().map(|d| hex(d)).collect::<Vec<_>>())
                .map_err(|e| StoreError::Failed(e.to_string()))?;
        let params = [
            user,
            session,
            binary(sealed_secret),
            ParameterValue::Int64(step),
            ParameterValue::Jsonb(digests),
        ];
        self.outcome("SELECT auth.confirm_totp($1, $2, $3, $4, $5)", &params)
            .await
    }

    async fn disable_totp(
        &mut self,
        caller: &Caller<'_>,
        account: &AccountProof,
        step: SecondStep,
    ) -> Result<TotpDisabled, StoreError> {
        let [user, session] = caller_params(caller);
        let [password, reauth] = account_params(Some(account));
        let [step, recovery] = step_params(step);
        let params = [user, session, password, reauth, step, recovery];
        self.outcome("SELECT auth.disable_totp($1, $2, $3, $4, $5, $6)", &params)
            .await
    }

    async fn second_factor_sample(&mut self) -> Result<Option<SealedSample>, StoreError> {
        self.read("SELECT auth.second_factor_sample()", &[]).await
    }
}
