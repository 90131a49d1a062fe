//! `flows::account` over PostgreSQL: `/auth/me`, the password, contacts.

use super::{caller_params, optional_text, text, PgStore};
use crate::core::ports::{
    AccountStore, Caller, ContactAdded, ContactKind, ContactRemoved, PasswordChangeOutcome,
    PasswordCredentials, PhoneProven, StoreError,
};
use crate::edge::host::ParameterValue;
use serde_json::Value;

impl AccountStore for PgStore<'_> {
    async fn add_verified_phone(
        &mut self,
        caller: &Caller<'_>,
        proof_hash: &[u8; 32],
        phone: &str,
    ) -> Result<PhoneProven, StoreError> {
        let [user, session] = caller_params(caller);
        let params = [
            user,
            session,
            ParameterValue::Binary(proof_hash.to_vec()),
            text(phone),
        ];
        self.outcome("SELECT auth.add_verified_phone($1, $2, $3, $4)", &params)
            .await
    }

    async fn add_contact(
        &mut self,
        caller: &Caller<'_>,
        checked_password_hash: &str,
        kind: ContactKind,
        value: &str,
    ) -> Result<ContactAdded, StoreError> {
        let [user, session] = caller_params(caller);
        let params = [
            user,
            session,
            text(checked_password_hash),
            text(kind.as_str()),
            text(value),
        ];
        self.outcome("SELECT auth.add_contact($1, $2, $3, $4, $5)", &params)
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
        self.call("SELECT auth.me($1, $2)", &caller_params(caller))
            .await
    }

    async fn password_credentials(
        &mut self,
        caller: &Caller<'_>,
    ) -> Result<Option<PasswordCredentials>, StoreError> {
        self.call(
            "SELECT auth.password_credentials($1, $2)",
            &caller_params(caller),
        )
        .await
    }

    async fn change_password(
        &mut self,
        caller: &Caller<'_>,
        checked_password_hash: Option<&str>,
        new_password_hash: &str,
    ) -> Result<PasswordChangeOutcome, StoreError> {
        let [user, session] = caller_params(caller);
        let params = [
            user,
            session,
            optional_text(checked_password_hash),
            text(new_password_hash),
        ];
        self.outcome("SELECT auth.change_password($1, $2, $3, $4)", &params)
            .await
    }
}
