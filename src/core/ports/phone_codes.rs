//! What `flows::phone_codes` needs of the store: codes by SMS, for signing in
//! and proving a phone.

use super::{Caller, NewSession, OpenedSession, StoreError};
use serde::Deserialize;

/// What `auth.request_otp` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CodeIssued {
    /// Stored; `deliver`: whether an SMS should go out (the phone is one
    /// this purpose sends to); `to`: where, when the store chose the phone
    /// (`reauth`).
    Issued {
        deliver: bool,
        #[serde(default)]
        to: Option<String>,
    },
    /// The previous code is younger than the resend delay.
    TooSoon { retry_after: u32 },
}

/// What trying a code answers (`auth.sign_in_with_otp`, `auth.prove_phone`;
/// each only its own success).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CodeTried {
    /// Signed in (login).
    Opened(OpenedByCode),
    /// A one-time proof stored (register, verify_phone).
    Proven { expires_in: u32 },
    /// Not the code; counted.
    Wrong { attempts_left: u32 },
    /// No usable code (none, someone else's, used, expired, out of
    /// attempts), or nobody to sign in.
    Invalid,
    /// The signed-in caller's session ended (`reauth`).
    SessionInactive,
    /// (login) The code was right, and the user has a second factor: the
    /// challenge is stored, no session opened.
    SecondFactorRequired { user_id: String },
}

/// What `auth.request_reauth_code` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ReauthCodeIssued {
    /// Stored: send it to `phone`, the user's verified phone.
    Issued {
        phone: String,
    },
    TooSoon {
        retry_after: u32,
    },
    /// No verified phone to send it to: the password is the only proof.
    NoVerifiedPhone,
    SessionInactive,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OpenedByCode {
    pub user_id: String,
    #[serde(flatten)]
    pub session: OpenedSession,
}

/// The store's part in `flows::phone_codes`: codes by SMS, for signing in and
/// proving a phone.
#[allow(async_fn_in_trait)]
pub trait PhoneCodesStore {
    /// `user_id`: the signed-in user a `verify_phone` code is bound to.
    async fn request_otp(
        &mut self,
        phone: &str,
        purpose: &str,
        user_id: Option<&str>,
        code_digest: &[u8; 32],
        ttl_seconds: u32,
        resend_seconds: u32,
    ) -> Result<CodeIssued, StoreError>;
    /// Deletes a code the gateway did not take.
    async fn withdraw_otp(
        &mut self,
        phone: &str,
        purpose: &str,
        code_digest: &[u8; 32],
    ) -> Result<(), StoreError>;
    /// `second_factor`: the challenge to store instead of a session when
    /// the user has a second factor (the mfa_token's hash, its lifetime).
    async fn sign_in_with_otp(
        &mut self,
        phone: &str,
        code_digest: &[u8; 32],
        max_attempts: u32,
        session: &NewSession<'_>,
        second_factor: (&[u8; 32], u32),
    ) -> Result<CodeTried, StoreError>;
    /// `user_id`: the signed-in user a `verify_phone` code and its proof
    /// belong to.
    #[allow(clippy::too_many_arguments)]
    async fn prove_phone(
        &mut self,
        phone: &str,
        purpose: &str,
        user_id: Option<&str>,
        code_digest: &[u8; 32],
        max_attempts: u32,
        proof_hash: &[u8; 32],
        proof_ttl_seconds: u32,
    ) -> Result<CodeTried, StoreError>;
    /// A reauth code to the caller's verified phone (the digest is over
    /// the user id).
    async fn request_reauth_code(
        &mut self,
        caller: &Caller<'_>,
        code_digest: &[u8; 32],
        ttl_seconds: u32,
        resend_seconds: u32,
    ) -> Result<ReauthCodeIssued, StoreError>;
    /// Uses the caller's reauth code and stores a proof of the account.
    async fn prove_account(
        &mut self,
        caller: &Caller<'_>,
        code_digest: &[u8; 32],
        max_attempts: u32,
        proof_hash: &[u8; 32],
        proof_ttl_seconds: u32,
    ) -> Result<CodeTried, StoreError>;
}
