//! What `flows::account` needs of the store: `/auth/me`, the password,
//! contacts.

use super::{Caller, ContactKind, NewEmailLink, StoreError};
use serde::Deserialize;
use serde_json::Value;

/// A fresh proof of the account that a sensitive change (SPEC §2) carries
/// to the database, which checks it under the user's row lock.
#[derive(Clone)]
pub enum AccountProof {
    /// The stored hash the current password was verified against: it must
    /// still be the user's.
    CheckedPassword { hash: String },
    /// The SHA-256 of a reauth proof: unused, unexpired, the user's.
    Reauth { proof_hash: [u8; 32] },
}

impl std::fmt::Debug for AccountProof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AccountProof::CheckedPassword { .. } => "CheckedPassword([redacted])",
            AccountProof::Reauth { .. } => "Reauth([redacted])",
        })
    }
}

/// Why `auth.confirm_account` refused a sensitive change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum AccountRefusal {
    SessionInactive,
    /// No proof of the account came with a change that needs one.
    ReauthRequired,
    /// The reauth proof is unknown, used, expired or someone else's.
    ReauthInvalid,
    /// The password changed after it was checked.
    CredentialsChanged,
}

/// What `auth.add_contact` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ContactAdded {
    Added {
        contact: Value,
    },
    /// An email another account holds unverified: claimed by the link sent
    /// to it, not added (SPEC §2).
    Claimed {
        email: String,
    },
    /// Someone's active value (also when another user won a race for it).
    Taken {
        field: ContactKind,
    },
    #[serde(untagged)]
    Refused(AccountRefusal),
}

/// What `auth.remove_contact` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ContactRemoved {
    Removed,
    NotFound,
    /// A second_login or phone can only be replaced, never removed.
    LastOfItsKind {
        field: ContactKind,
    },
    SessionInactive,
}

/// What `auth.add_verified_phone` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PhoneProven {
    Added {
        contact: Value,
        /// Whether how the user signs in changed (a new phone), or only
        /// their current phone was verified.
        changed: bool,
        /// The phone replaced, if it had been verified: it is told.
        #[serde(default)]
        replaced_phone: Option<String>,
        /// The account that held the phone unverified and lost it.
        #[serde(default)]
        taken_from: Option<String>,
    },
    Taken {
        field: ContactKind,
    },
    ProofInvalid,
    #[serde(untagged)]
    Refused(AccountRefusal),
}

/// What `auth.change_password` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PasswordChangeOutcome {
    /// `first`: the account had no password before.
    Changed { first: bool },
    #[serde(untagged)]
    Refused(AccountRefusal),
}

#[derive(Debug, Clone, Deserialize)]
pub struct PasswordCredentials {
    pub password_hash: Option<String>,
    /// The user's active contact values, which a new password may not equal.
    pub identifiers: Vec<String>,
}

/// The store's part in `flows::account`: `/auth/me`, the password, contacts.
#[allow(async_fn_in_trait)]
pub trait AccountStore {
    /// The caller's phone, proven by `phone_proof_hash`; `account` is
    /// needed unless it is their current phone.
    async fn add_verified_phone(
        &mut self,
        caller: &Caller<'_>,
        account: Option<&AccountProof>,
        phone_proof_hash: &[u8; 32],
        phone: &str,
    ) -> Result<PhoneProven, StoreError>;
    /// Adds a second_login or email after a fresh proof of the account;
    /// an email with its verification link.
    async fn add_contact(
        &mut self,
        caller: &Caller<'_>,
        account: &AccountProof,
        kind: ContactKind,
        value: &str,
        email_link: Option<&NewEmailLink<'_>>,
    ) -> Result<ContactAdded, StoreError>;
    async fn remove_contact(
        &mut self,
        caller: &Caller<'_>,
        id: &str,
    ) -> Result<ContactRemoved, StoreError>;
    async fn me(&mut self, caller: &Caller<'_>) -> Result<Option<Value>, StoreError>;
    async fn password_credentials(
        &mut self,
        caller: &Caller<'_>,
    ) -> Result<Option<PasswordCredentials>, StoreError>;
    async fn change_password(
        &mut self,
        caller: &Caller<'_>,
        account: &AccountProof,
        new_password_hash: &str,
    ) -> Result<PasswordChangeOutcome, StoreError>;
}
