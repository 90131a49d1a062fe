//! What `flows::second_factor` needs of the store: TOTP enrolment, its
//! challenges at sign-in, and turning it off (SPEC §6a).

use super::{AccountProof, AccountRefusal, Caller, NewSession, OpenedSession, StoreError};
use serde::Deserialize;

/// What `auth.challenge_second_factor` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SecondFactorChallenged {
    Challenged,
    UserInactive,
    /// The password changed after it was checked.
    CredentialsChanged,
}

/// What `auth.second_factor_challenge` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PendingChallenge {
    Pending {
        user_id: String,
        /// The sealed secret, in hex.
        sealed_secret: String,
        last_step: Option<i64>,
    },
    Invalid,
}

/// How the second step was answered, as the database takes it.
#[derive(Debug, Clone, Copy)]
pub enum SecondStep {
    /// The time step a TOTP code matched.
    Step(i64),
    /// A recovery code's keyed digest.
    RecoveryCode([u8; 32]),
    /// A code that matched no step: a try, counted.
    Wrong,
}

/// What `auth.complete_second_factor` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SecondFactorCompleted {
    Opened(OpenedWithSecondFactor),
    Wrong { user_id: String, attempts_left: u32 },
    Invalid,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OpenedWithSecondFactor {
    pub user_id: String,
    pub amr: Vec<String>,
    #[serde(default)]
    pub recovery_codes_left: Option<u32>,
    #[serde(flatten)]
    pub session: OpenedSession,
}

/// What `auth.start_totp_enrolment` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum EnrolmentStarted {
    Started,
    AlreadyEnrolled,
    #[serde(untagged)]
    Refused(AccountRefusal),
}

/// What `auth.totp_of` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TotpState {
    Found {
        sealed_secret: String,
        confirmed: bool,
        last_step: Option<i64>,
    },
    None,
    SessionInactive,
}

/// What `auth.confirm_totp` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TotpConfirmed {
    Confirmed(Channels),
    /// No enrolment in progress, or its step was spent already.
    NotStarted,
    SessionInactive,
}

/// What `auth.disable_totp` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TotpDisabled {
    Disabled(Channels),
    WrongCode,
    NotEnrolled,
    #[serde(untagged)]
    Refused(AccountRefusal),
}

/// An account's verified channels, told of a change.
#[derive(Debug, Clone, Deserialize)]
pub struct Channels {
    #[serde(default)]
    pub notify_phone: Option<String>,
    #[serde(default)]
    pub notify_emails: Vec<String>,
}

/// A stored secret, as readiness tries the key on it.
#[derive(Debug, Clone, Deserialize)]
pub struct SealedSample {
    pub user_id: String,
    /// In hex.
    pub sealed_secret: String,
}

/// The store's part in `flows::second_factor`.
#[allow(async_fn_in_trait)]
pub trait SecondFactorStore {
    async fn challenge_second_factor(
        &mut self,
        user_id: &str,
        checked_password_hash: &str,
        token_hash: &[u8; 32],
        ttl_seconds: u32,
    ) -> Result<SecondFactorChallenged, StoreError>;
    async fn second_factor_challenge(
        &mut self,
        token_hash: &[u8; 32],
    ) -> Result<PendingChallenge, StoreError>;
    async fn complete_second_factor(
        &mut self,
        token_hash: &[u8; 32],
        step: SecondStep,
        max_attempts: u32,
        session: &NewSession<'_>,
    ) -> Result<SecondFactorCompleted, StoreError>;
    async fn start_totp_enrolment(
        &mut self,
        caller: &Caller<'_>,
        account: &AccountProof,
        sealed_secret: &[u8],
    ) -> Result<EnrolmentStarted, StoreError>;
    async fn totp_of(&mut self, caller: &Caller<'_>) -> Result<TotpState, StoreError>;
    /// `sealed_secret`: the enrolment the code was checked against.
    async fn confirm_totp(
        &mut self,
        caller: &Caller<'_>,
        sealed_secret: &[u8],
        step: i64,
        recovery_digests: &[[u8; 32]],
    ) -> Result<TotpConfirmed, StoreError>;
    async fn disable_totp(
        &mut self,
        caller: &Caller<'_>,
        account: &AccountProof,
        step: SecondStep,
    ) -> Result<TotpDisabled, StoreError>;
    /// One stored TOTP secret (sealed), or `None` when nobody has one
    /// (readiness checks the key opens it).
    async fn second_factor_sample(&mut self) -> Result<Option<SealedSample>, StoreError>;
}
