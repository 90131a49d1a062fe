//! `flows::account` over PostgreSQL: `/auth/me`, the password, contacts.

use super::{caller_params, email_link_params, text, PgStore};
use crate::core::ports::{
    AccountProof, AccountStore, Caller, ContactAdded, ContactKind, ContactRemoved, NewEmailLink,
    PasswordChangeOutcome, PasswordCredentials, PhoneProven, StoreError,
};
use crate::edge::host::ParameterValue;
use serde_json::Value;

impl AccountStore for PgStore<'_> {
    async fn add_verified_phone(
        &mut self,
        caller: &Caller<'_>,
        account: Option<&AccountProof>,
        phone_proof_hash: &[u8; 32],
        phone: &str,
    ) -> Result<PhoneProven, StoreError> {
        let [user, session] = caller_params(caller);
        let [password, reauth] = account_params(account);
        let params = [
            user,
            session,
            password,
            reauth,
            ParameterValue::Binary(phone_proof_hash.to_vec()),
            text(phone),
        ];
        self.outcome(
            "SELECT auth.add_verified_phone($1, $2, $3, $4, $5, $6)",
            &params,
        )
        .await
    }

    async fn add_contact(
        &mut self,
        caller: &Caller<'_>,
        account: &AccountProof,
        kind: ContactKind,
        value: &str,
        email_link: Option<&NewEmailLink<'_>>,
    ) -> Result<ContactAdded, StoreError> {
        let [user, session] = caller_params(caller);
        let [password, reauth] = account_params(Some(account));
        let [link_digest, link_ttl] = email_link_params(email_link);
        let params = [
            user,
            session,
            password,
            reauth,
            text(kind.as_str()),
            text(value),
            link_digest,
            link_ttl,
        ];
        self.outcome(
            "SELECT auth.add_contact($1, $2, $3, $4, $5, $6, $7, $8)",
            &params,
        )
        .await
    }

    async fn remove_contact(
        &mut self,
        caller: &Caller<'_>,
        id: &str,
    ) -> Result<ContactRemoved, StoreError> {
        let [user, session] = caller_params(caller);
        let params = [user, session, ParameterValue::Uuid(id.to_string())];
        self.outcome("SELECT auth.remove_contact($1, $2, $3)", &params)
            .await
    }

    async fn me(&mut self, caller: &Caller<'_>) -> Result<Option<Value>, StoreError> {
        self.read("SELECT auth.me($1, $2)", &caller_params(caller))
            .await
    }

    async fn password_credentials(
        &mut self,
        caller: &Caller<'_>,
    ) -> Result<Option<PasswordCredentials>, StoreError> {
        self.read(
            "SELECT auth.password_credentials($1, $2)",
            &caller_params(caller),
        )
        .await
    }

    async fn change_password(
        &mut self,
        caller: &Caller<'_>,
        account: &AccountProof,
        new_password_hash: &str,
    ) -> Result<PasswordChangeOutcome, StoreError> {
        let [user, session] = caller_params(caller);
        let [password, reauth] = account_params(Some(account));
        let params = [user, session, password, reauth, text(new_password_hash)];
        self.outcome("SELECT auth.change_password($1, $2, $3, $4, $5)", &params)
            .await
    }
}

/// `auth.confirm_account`'s two ways to prove the account: the password
/// hash checked, or a reauth proof's digest (the other NULL; both NULL:
/// none given).
pub(super) fn account_params(account: Option<&AccountProof>) -> [ParameterValue; 2] {
    match account {
        Some(AccountProof::CheckedPassword { hash }) => [text(hash), ParameterValue::DbNull],
        Some(AccountProof::Reauth { proof_hash }) => [
            ParameterValue::DbNull,
            ParameterValue::Binary(proof_hash.to_vec()),
        ],
        None => [ParameterValue::DbNull, ParameterValue::DbNull],
    }
}
