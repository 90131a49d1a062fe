//! What `flows::account` needs of the store: `/auth/me`, the password,
//! contacts.

use super::{Caller, ContactKind, StoreError};
use serde::Deserialize;
use serde_json::Value;

/// What `auth.add_contact` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ContactAdded {
    Added {
        contact: Value,
    },
    /// Someone's active value (also when another user won a race for it).
    Taken {
        field: ContactKind,
    },
    SessionInactive,
    /// The password changed after it was checked.
    CredentialsChanged,
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
    Added { contact: Value },
    Taken { field: ContactKind },
    ProofInvalid,
    SessionInactive,
}

/// What `auth.change_password` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PasswordChangeOutcome {
    Changed,
    /// The caller's own session has ended.
    SessionInactive,
    /// Another change committed after the current password was verified.
    CredentialsChanged,
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
    async fn add_verified_phone(
        &mut self,
        caller: &Caller<'_>,
        proof_hash: &[u8; 32],
        phone: &str,
    ) -> Result<PhoneProven, StoreError>;
    /// Adds a contact after a password check (`checked_password_hash` must
    /// still be the user's).
    async fn add_contact(
        &mut self,
        caller: &Caller<'_>,
        checked_password_hash: &str,
        kind: ContactKind,
        value: &str,
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
        checked_password_hash: Option<&str>,
        new_password_hash: &str,
    ) -> Result<PasswordChangeOutcome, StoreError>;
}
