//! `flows::administration` over PostgreSQL: roles one may grant, users.

use super::{caller_params, optional_text, text, text_array, PgStore};
use crate::core::ports::{
    AdministrationStore, Caller, GrantableRoles, NewUser, StoreError, UserChanged, UserCreated,
    UsersFilter, UsersPage,
};
use crate::edge::host::ParameterValue;

impl AdministrationStore for PgStore<'_> {
    async fn list_users(
        &mut self,
        caller: &Caller<'_>,
        filter: &UsersFilter<'_>,
    ) -> Result<UsersPage, StoreError> {
        let [user, session] = caller_params(caller);
        let params = [
            user,
            session,
            ParameterValue::Int32(filter.limit as i32),
            optional_text(filter.after.as_ref().map(|a| a.created_at)),
            optional_text(filter.after.as_ref().map(|a| a.id)),
            optional_text(filter.role),
            optional_text(filter.contact.map(|(kind, _)| kind.as_str())),
            optional_text(filter.contact.map(|(_, value)| value)),
            optional_text(filter.organization_id),
        ];
        self.read_outcome(
            "SELECT auth.list_users($1, $2, $3, $4::text::timestamptz, $5::text::uuid, $6, $7, $8, $9::text::uuid)",
            &params,
        )
        .await
    }

    async fn create_user(
        &mut self,
        caller: &Caller<'_>,
        u: &NewUser<'_>,
    ) -> Result<UserCreated, StoreError> {
        let profile =
            serde_json::to_vec(u.profile).map_err(|e| StoreError::Failed(e.to_string()))?;
        let [user, session] = caller_params(caller);
        let params = [
            user,
            session,
            text(u.second_login),
            text(u.phone),
            optional_text(u.email),
            text(u.password_hash),
            ParameterValue::Jsonb(profile),
            text_array(u.group_names),
            optional_text(u.organization_id),
            ParameterValue::Int32(u.outbox_retry_seconds as i32),
        ];
        self.outcome(
            "SELECT auth.create_user($1, $2, $3, $4, $5, $6, $7, $8, $9::text::uuid, $10)",
            &params,
        )
        .await
    }

    async fn change_user_roles(
        &mut self,
        caller: &Caller<'_>,
        target: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<UserChanged, StoreError> {
        let [user, session] = caller_params(caller);
        let params = [
            user,
            session,
            ParameterValue::Uuid(target.to_string()),
            text_array(add),
            text_array(remove),
        ];
        self.outcome("SELECT auth.change_user_roles($1, $2, $3, $4, $5)", &params)
            .await
    }

    async fn set_user_active(
        &mut self,
        caller: &Caller<'_>,
        target: &str,
        active: bool,
    ) -> Result<UserChanged, StoreError> {
        let [user, session] = caller_params(caller);
        let params = [
            user,
            session,
            ParameterValue::Uuid(target.to_string()),
            ParameterValue::Boolean(active),
        ];
        self.outcome("SELECT auth.set_user_active($1, $2, $3, $4)", &params)
            .await
    }

    async fn grantable_roles(&mut self, caller: &Caller<'_>) -> Result<GrantableRoles, StoreError> {
        self.read_outcome(
            "SELECT auth.grantable_roles($1, $2)",
            &caller_params(caller),
        )
        .await
    }
}
