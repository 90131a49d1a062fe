//! What `flows::recovery` needs of the store: verified emails and the way
//! back from a forgotten password (SPEC §6a).

use super::{Caller, EventMessage, StoreError};
use serde::Deserialize;

/// A verify_email link to store with a change that adds an email: the
/// SHA-256 of its token and how long it lives.
pub struct NewEmailLink<'a> {
    pub token_hash: &'a [u8; 32],
    pub ttl_seconds: u32,
}

/// What `auth.verify_email` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum EmailVerified {
    Verified {
        user_id: String,
        email: String,
        /// The account that held the address unverified and lost it.
        #[serde(default)]
        taken_from: Option<String>,
        /// A claim completed: the address moved to this account.
        #[serde(default)]
        claimed: bool,
    },
    /// A claim link opened by anyone but its account, signed in: nothing
    /// changed.
    SignInRequired,
    /// Opened signed in to another account than the link's: nothing
    /// changed.
    AnotherAccount,
    /// Someone else proved the address first.
    Taken,
    /// Unknown, used, expired, or its user deactivated.
    Invalid,
}

/// What `auth.request_email_verification` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum VerificationRequested {
    /// `claim`: the link claims an address another account holds.
    Issued {
        claim: bool,
    },
    TooSoon {
        retry_after: u32,
    },
    AlreadyVerified,
    /// Neither an email of the caller's nor one they claimed.
    NotYours,
    SessionInactive,
}

/// What `auth.recovery_destinations` answers: where a recovery's messages
/// would go (nothing, for a login nobody holds).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RecoveryDestinations {
    Found {
        user_id: Option<String>,
        /// The verified phone.
        phone: Option<String>,
        /// The verified emails (at most five).
        emails: Vec<String>,
    },
}

/// What `auth.issue_recovery` answers: what was stored, so what to send.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RecoveryIssued {
    Issued {
        /// A code was stored for this phone (none: too soon after the last).
        phone: Option<String>,
        /// A link was stored for each of these.
        emails: Vec<String>,
    },
}

/// How a recovery is completed: a code sent to the phone, or a link's token.
pub enum RecoveryProof<'a> {
    Code {
        phone: &'a str,
        code_digest: &'a [u8; 32],
    },
    Link {
        token_hash: &'a [u8; 32],
    },
}

/// What `auth.check_recovery` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RecoveryChecked {
    Valid {
        user_id: String,
        /// The user's active contact values, which the new password may
        /// not equal.
        identifiers: Vec<String>,
    },
    /// Not the code; counted.
    Wrong {
        attempts_left: u32,
    },
    Invalid,
}

/// What `auth.reset_password` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PasswordReset {
    Reset {
        /// Every active login of the user: their lockouts are cleared.
        logins: Vec<String>,
        /// The other verified channels, told of the reset.
        notify_phone: Option<String>,
        notify_emails: Vec<String>,
        events: Vec<EventMessage>,
    },
    /// Spent or no longer theirs since it was checked.
    Invalid,
}

/// The store's part in `flows::recovery`.
#[allow(async_fn_in_trait)]
pub trait RecoveryStore {
    /// `opener`: who opened the link, when signed in (a claim completes
    /// only for its own account).
    async fn verify_email(
        &mut self,
        token_hash: &[u8; 32],
        opener: Option<&Caller<'_>>,
    ) -> Result<EmailVerified, StoreError>;
    async fn request_email_verification(
        &mut self,
        caller: &Caller<'_>,
        email: &str,
        link: &NewEmailLink<'_>,
        resend_seconds: u32,
    ) -> Result<VerificationRequested, StoreError>;
    /// Deletes a link the gateway did not take.
    async fn withdraw_email_link(&mut self, token_hash: &[u8; 32]) -> Result<(), StoreError>;
    /// `login`: (contact type, normalized value).
    async fn recovery_destinations(
        &mut self,
        login: (&str, &str),
    ) -> Result<RecoveryDestinations, StoreError>;
    #[allow(clippy::too_many_arguments)]
    async fn issue_recovery(
        &mut self,
        user_id: &str,
        phone: Option<&str>,
        code_digest: &[u8; 32],
        code_ttl_seconds: u32,
        resend_seconds: u32,
        links: &[(String, [u8; 32])],
        link_ttl_seconds: u32,
    ) -> Result<RecoveryIssued, StoreError>;
    async fn check_recovery(
        &mut self,
        proof: &RecoveryProof<'_>,
        max_attempts: u32,
    ) -> Result<RecoveryChecked, StoreError>;
    async fn reset_password(
        &mut self,
        user_id: &str,
        proof: &RecoveryProof<'_>,
        max_attempts: u32,
        password_hash: &str,
    ) -> Result<PasswordReset, StoreError>;
}
