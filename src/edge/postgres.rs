//! The store over PostgreSQL stored functions, through Spin's
//! `spin:postgres/postgres@4.x`. A request uses one connection, opened on
//! first use or kept from an earlier request of the same instance
//! (`edge::kept`); each request makes as few calls as its flow allows
//! (register: one).
//! Every outcome a client can cause comes back from a function as a jsonb
//! value tagged `outcome`, read into the core's enums: under Spin, an error a
//! function raises reaches us only as text (see `store_error`).

use crate::core::config::Config;
use crate::core::ports::{
    Caller, CodeIssued, CodeTried, ContactAdded, ContactKind, ContactRemoved, Credentials,
    GrantableRoles, InterfaceRoles, MemberRef, MembersPage, MembershipOutcome, NewOrganization,
    NewRegistration, NewSession, NewUser, OrganizationChanged, OrganizationCreated,
    OrganizationFound, OrganizationsPage, PageAfter, PasswordChangeOutcome, PasswordCredentials,
    PhoneProven, RegistrationOutcome, Revocation, Rotation, SessionOutcome, Store, StoreError,
    UserChanged, UserCreated, UserSessionsEnded, UsersFilter, UsersPage,
};
use crate::edge::host::{pg_call_timed_out, DbValue, ParameterValue, PgError, PgLink, QueryError};
use crate::edge::kept;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub struct PgStore<'a> {
    config: &'a Config,
    link: Option<Link>,
    /// A call of this request got no answer in time (p3): the rest of the
    /// request does not wait for the database again.
    gave_up: bool,
}

/// The connection a store uses, and what it has seen.
struct Link {
    connection: PgLink,
    /// Kept from an earlier request, and not yet used by this one: it may
    /// have been closed by the server while it waited.
    from_earlier_request: bool,
    in_transaction: bool,
    failed: bool,
}

impl<'a> PgStore<'a> {
    /// Connects (and reads `db_url`) only when first asked a question.
    pub fn new(config: &'a Config) -> Self {
        PgStore {
            config,
            link: None,
            gave_up: false,
        }
    }

    async fn link(&mut self) -> Result<&mut Link, StoreError> {
        if self.gave_up {
            return Err(StoreError::Unavailable);
        }
        if self.link.is_none() {
            let link = match kept::take_pg() {
                Some(connection) => Link::new(connection, true),
                None => Link::new(self.open().await?, false),
            };
            self.link = Some(link);
        }
        Ok(self.link.as_mut().expect("set above"))
    }

    async fn open(&mut self) -> Result<PgLink, StoreError> {
        let url = self.config.db_url().map_err(StoreError::Misconfigured)?;
        PgLink::open(url.expose()).await.map_err(|e| {
            eprintln!("database connection failed: {}", describe(&e));
            self.gave_up |= pg_call_timed_out(&e);
            StoreError::Unavailable
        })
    }

    /// Runs one statement. A kept connection the server closed while it
    /// waited fails before the statement reaches the server: then the
    /// statement runs once more, on a new connection.
    async fn rows(
        &mut self,
        statement: &str,
        params: &[ParameterValue],
    ) -> Result<Vec<Vec<DbValue>>, StoreError> {
        let link = self.link().await?;
        let reused = std::mem::replace(&mut link.from_earlier_request, false);
        let mut answer = link.connection.query(statement, params).await;
        if let Err(e) = &answer {
            if reused && is_connection_lost(e) && !pg_call_timed_out(e) {
                self.link = Some(Link::new(self.open().await?, false));
                let link = self.link.as_mut().expect("set above");
                answer = link.connection.query(statement, params).await;
            }
        }
        answer.map_err(|e| self.failed(statement, e))
    }

    /// A statement failed: its connection is not kept, and after a call
    /// given up on, the request does not wait for the database again.
    fn failed(&mut self, statement: &str, e: PgError) -> StoreError {
        if let Some(link) = self.link.as_mut() {
            link.failed = true;
        }
        self.gave_up |= pg_call_timed_out(&e);
        store_error(statement, e)
    }

    /// Calls a function that always answers one jsonb value (an outcome).
    async fn outcome<T: DeserializeOwned>(
        &mut self,
        sql: &str,
        params: &[ParameterValue],
    ) -> Result<T, StoreError> {
        self.call(sql, params)
            .await?
            .ok_or_else(|| StoreError::Failed(format!("{sql} answered NULL")))
    }

    /// Calls a function that returns one jsonb value (or NULL).
    async fn call<T: DeserializeOwned>(
        &mut self,
        sql: &str,
        params: &[ParameterValue],
    ) -> Result<Option<T>, StoreError> {
        let rows = self.rows(sql, params).await?;
        let Some(value) = rows.first().and_then(|r| r.first()) else {
            return Ok(None);
        };
        match value {
            DbValue::DbNull => Ok(None),
            DbValue::Jsonb(bytes) => serde_json::from_slice(bytes)
                .map(Some)
                .map_err(|e| StoreError::Failed(format!("unexpected result shape: {e}"))),
            other => Err(StoreError::Failed(format!("expected jsonb, got {other:?}"))),
        }
    }

    /// BEGIN, COMMIT or ROLLBACK.
    async fn run(&mut self, statement: &str) -> Result<(), StoreError> {
        let link = self.link().await?;
        link.from_earlier_request = false;
        let answer = link.connection.execute(statement).await;
        answer.map_err(|e| self.failed(statement, e))
    }
}

impl Link {
    fn new(connection: PgLink, from_earlier_request: bool) -> Link {
        Link {
            connection,
            from_earlier_request,
            in_transaction: false,
            failed: false,
        }
    }
}

/// A connection in a known clean state waits for the next request.
impl Drop for PgStore<'_> {
    fn drop(&mut self) {
        if let Some(link) = self.link.take() {
            if !link.failed && !link.in_transaction {
                kept::keep_pg(link.connection);
            }
        }
    }
}

fn text(s: &str) -> ParameterValue {
    ParameterValue::Str(s.to_string())
}

/// An id the core has already parsed as a UUID.
fn uuid(id: &str) -> ParameterValue {
    ParameterValue::Uuid(id.to_string())
}

fn optional_text(s: Option<&str>) -> ParameterValue {
    s.map(text).unwrap_or(ParameterValue::DbNull)
}

fn session_params(session: &NewSession<'_>) -> [ParameterValue; 5] {
    [
        ParameterValue::Binary(session.refresh_token_hash.to_vec()),
        ParameterValue::Int32(session.ttl_seconds as i32),
        ParameterValue::Int32(session.max_sessions as i32),
        optional_text(session.client.user_agent.as_deref()),
        optional_text(session.client.ip.as_deref()),
    ]
}

fn text_array(items: &[String]) -> ParameterValue {
    ParameterValue::ArrayStr(items.iter().map(|i| Some(i.clone())).collect())
}

impl Store for PgStore<'_> {
    async fn begin(&mut self) -> Result<(), StoreError> {
        self.run("BEGIN").await?;
        self.link().await?.in_transaction = true;
        Ok(())
    }

    async fn commit(&mut self) -> Result<(), StoreError> {
        self.run("COMMIT").await?;
        self.link().await?.in_transaction = false;
        Ok(())
    }

    async fn rollback(&mut self) {
        if self.link.is_some() {
            match self.run("ROLLBACK").await {
                Ok(()) => self.link().await.expect("open").in_transaction = false,
                Err(e) => eprintln!("rollback failed: {e:?}"),
            }
        }
    }

    async fn sessions_ended_now(&mut self) -> Result<Vec<String>, StoreError> {
        self.outcome("SELECT auth.sessions_ended_now()", &[]).await
    }

    async fn users_ended_now(&mut self) -> Result<Vec<UserSessionsEnded>, StoreError> {
        self.outcome("SELECT auth.users_ended_now()", &[]).await
    }

    async fn create_organization(
        &mut self,
        caller: &Caller<'_>,
        o: &NewOrganization<'_>,
    ) -> Result<OrganizationCreated, StoreError> {
        let [user, session] = caller_params(caller);
        let params = [
            user,
            session,
            text(o.kind),
            optional_text(o.service_type),
            text(o.name),
            ParameterValue::Int32(o.outbox_retry_seconds as i32),
        ];
        self.outcome(
            "SELECT auth.create_organization($1, $2, $3, $4, $5, $6)",
            &params,
        )
        .await
    }

    async fn list_organizations(
        &mut self,
        caller: &Caller<'_>,
        limit: u32,
        after: Option<&PageAfter<'_>>,
    ) -> Result<OrganizationsPage, StoreError> {
        let [user, session] = caller_params(caller);
        let params = [
            user,
            session,
            ParameterValue::Int32(limit as i32),
            optional_text(after.map(|a| a.created_at)),
            optional_text(after.map(|a| a.id)),
        ];
        self.outcome(
            "SELECT auth.list_organizations($1, $2, $3, $4::text::timestamptz, $5::text::uuid)",
            &params,
        )
        .await
    }

    async fn organization(
        &mut self,
        caller: &Caller<'_>,
        organization_id: &str,
    ) -> Result<OrganizationFound, StoreError> {
        let [user, session] = caller_params(caller);
        let params = [user, session, uuid(organization_id)];
        self.outcome("SELECT auth.organization($1, $2, $3)", &params)
            .await
    }

    async fn update_organization(
        &mut self,
        caller: &Caller<'_>,
        organization_id: &str,
        name: Option<&str>,
        active: Option<bool>,
    ) -> Result<OrganizationChanged, StoreError> {
        let [user, session] = caller_params(caller);
        let params = [
            user,
            session,
            uuid(organization_id),
            optional_text(name),
            active.map_or(ParameterValue::DbNull, ParameterValue::Boolean),
        ];
        self.outcome(
            "SELECT auth.update_organization($1, $2, $3, $4, $5::boolean)",
            &params,
        )
        .await
    }

    async fn list_members(
        &mut self,
        caller: &Caller<'_>,
        organization_id: &str,
        limit: u32,
        after: Option<&PageAfter<'_>>,
    ) -> Result<MembersPage, StoreError> {
        let [user, session] = caller_params(caller);
        let params = [
            user,
            session,
            uuid(organization_id),
            ParameterValue::Int32(limit as i32),
            optional_text(after.map(|a| a.created_at)),
            optional_text(after.map(|a| a.id)),
        ];
        self.outcome(
            "SELECT auth.list_members($1, $2, $3, $4, $5::text::timestamptz, $6::text::uuid)",
            &params,
        )
        .await
    }

    async fn add_member(
        &mut self,
        caller: &Caller<'_>,
        organization_id: &str,
        member: &MemberRef,
        outbox_retry_seconds: u32,
    ) -> Result<MembershipOutcome, StoreError> {
        let [user, session] = caller_params(caller);
        let (id, kind, value) = match member {
            MemberRef::Id(id) => (Some(id.as_str()), None, None),
            MemberRef::Contact(kind, value) => (None, Some(kind.as_str()), Some(value.as_str())),
        };
        let params = [
            user,
            session,
            uuid(organization_id),
            optional_text(id),
            optional_text(kind),
            optional_text(value),
            ParameterValue::Int32(outbox_retry_seconds as i32),
        ];
        self.outcome(
            "SELECT auth.add_member($1, $2, $3, $4::text::uuid, $5, $6, $7)",
            &params,
        )
        .await
    }

    async fn end_membership(
        &mut self,
        caller: &Caller<'_>,
        organization_id: &str,
        member_id: &str,
        outbox_retry_seconds: u32,
    ) -> Result<MembershipOutcome, StoreError> {
        let [user, session] = caller_params(caller);
        let params = [
            user,
            session,
            uuid(organization_id),
            uuid(member_id),
            ParameterValue::Int32(outbox_retry_seconds as i32),
        ];
        self.outcome("SELECT auth.end_membership($1, $2, $3, $4, $5)", &params)
            .await
    }

    async fn appoint_head(
        &mut self,
        caller: &Caller<'_>,
        organization_id: &str,
        member_id: &str,
        outbox_retry_seconds: u32,
    ) -> Result<MembershipOutcome, StoreError> {
        let [user, session] = caller_params(caller);
        let params = [
            user,
            session,
            uuid(organization_id),
            uuid(member_id),
            ParameterValue::Int32(outbox_retry_seconds as i32),
        ];
        self.outcome("SELECT auth.appoint_head($1, $2, $3, $4, $5)", &params)
            .await
    }

    async fn dismiss_head(
        &mut self,
        caller: &Caller<'_>,
        organization_id: &str,
        member_id: &str,
    ) -> Result<MembershipOutcome, StoreError> {
        let [user, session] = caller_params(caller);
        let params = [user, session, uuid(organization_id), uuid(member_id)];
        self.outcome("SELECT auth.dismiss_head($1, $2, $3, $4)", &params)
            .await
    }

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
        self.outcome(
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

    async fn ping(&mut self) -> Result<(), StoreError> {
        self.call_bool("SELECT auth.ping()", &[]).await.map(|_| ())
    }

    async fn contact_available(
        &mut self,
        kind: ContactKind,
        value: &str,
    ) -> Result<bool, StoreError> {
        self.call_bool(
            "SELECT auth.contact_available($1, $2)",
            &[text(kind.as_str()), text(value)],
        )
        .await
    }

    async fn self_registration_roles(
        &mut self,
        interface: &str,
    ) -> Result<InterfaceRoles, StoreError> {
        self.outcome(
            "SELECT auth.self_registration_roles($1)",
            &[text(interface)],
        )
        .await
    }

    async fn grantable_roles(&mut self, caller: &Caller<'_>) -> Result<GrantableRoles, StoreError> {
        self.outcome(
            "SELECT auth.grantable_roles($1, $2)",
            &caller_params(caller),
        )
        .await
    }

    async fn register(
        &mut self,
        r: &NewRegistration<'_>,
    ) -> Result<RegistrationOutcome, StoreError> {
        let profile =
            serde_json::to_vec(r.profile).map_err(|e| StoreError::Failed(e.to_string()))?;
        let mut params = vec![
            text(r.second_login),
            text(r.phone),
            optional_text(r.email),
            optional_text(r.password_hash),
            ParameterValue::Jsonb(profile),
            text_array(r.group_names),
            text(r.interface),
        ];
        // A new user's session: no limit to apply (see auth.register).
        let [token, ttl, _limit, user_agent, ip] = session_params(&r.session);
        params.extend([token, ttl, user_agent, ip]);
        params.push(ParameterValue::Int32(r.outbox_retry_seconds as i32));
        self.outcome(
            "SELECT auth.register($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &params,
        )
        .await
    }

    async fn register_by_phone(
        &mut self,
        proof_hash: &[u8; 32],
        r: &NewRegistration<'_>,
    ) -> Result<RegistrationOutcome, StoreError> {
        let profile =
            serde_json::to_vec(r.profile).map_err(|e| StoreError::Failed(e.to_string()))?;
        let mut params = vec![
            ParameterValue::Binary(proof_hash.to_vec()),
            text(r.second_login),
            text(r.phone),
            optional_text(r.email),
            ParameterValue::Jsonb(profile),
            text_array(r.group_names),
            text(r.interface),
        ];
        let [token, ttl, _limit, user_agent, ip] = session_params(&r.session);
        params.extend([token, ttl, user_agent, ip]);
        params.push(ParameterValue::Int32(r.outbox_retry_seconds as i32));
        self.outcome(
            "SELECT auth.register_by_phone($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &params,
        )
        .await
    }

    async fn request_otp(
        &mut self,
        phone: &str,
        purpose: &str,
        code_digest: &[u8; 32],
        ttl_seconds: u32,
        resend_seconds: u32,
    ) -> Result<CodeIssued, StoreError> {
        let params = [
            text(phone),
            text(purpose),
            ParameterValue::Binary(code_digest.to_vec()),
            ParameterValue::Int32(ttl_seconds as i32),
            ParameterValue::Int32(resend_seconds as i32),
        ];
        self.outcome("SELECT auth.request_otp($1, $2, $3, $4, $5)", &params)
            .await
    }

    async fn withdraw_otp(
        &mut self,
        phone: &str,
        purpose: &str,
        code_digest: &[u8; 32],
    ) -> Result<(), StoreError> {
        let params = [
            text(phone),
            text(purpose),
            ParameterValue::Binary(code_digest.to_vec()),
        ];
        self.outcome::<Value>("SELECT auth.withdraw_otp($1, $2, $3)", &params)
            .await
            .map(|_| ())
    }

    async fn sign_in_with_otp(
        &mut self,
        phone: &str,
        code_digest: &[u8; 32],
        max_attempts: u32,
        session: &NewSession<'_>,
    ) -> Result<CodeTried, StoreError> {
        let mut params = vec![
            text(phone),
            ParameterValue::Binary(code_digest.to_vec()),
            ParameterValue::Int32(max_attempts as i32),
        ];
        params.extend(session_params(session));
        self.outcome(
            "SELECT auth.sign_in_with_otp($1, $2, $3, $4, $5, $6, $7, $8)",
            &params,
        )
        .await
    }

    async fn prove_phone(
        &mut self,
        phone: &str,
        purpose: &str,
        code_digest: &[u8; 32],
        max_attempts: u32,
        proof_hash: &[u8; 32],
        proof_ttl_seconds: u32,
    ) -> Result<CodeTried, StoreError> {
        let params = [
            text(phone),
            text(purpose),
            ParameterValue::Binary(code_digest.to_vec()),
            ParameterValue::Int32(max_attempts as i32),
            ParameterValue::Binary(proof_hash.to_vec()),
            ParameterValue::Int32(proof_ttl_seconds as i32),
        ];
        self.outcome("SELECT auth.prove_phone($1, $2, $3, $4, $5, $6)", &params)
            .await
    }

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

    async fn mark_published(&mut self, event_ids: &[String]) -> Result<(), StoreError> {
        let ids = ParameterValue::ArrayStr(event_ids.iter().map(|id| Some(id.clone())).collect());
        self.scalar_int("SELECT auth.mark_published($1::text[]::uuid[])", &[ids])
            .await
            .map(|_| ())
    }

    async fn find_credentials(
        &mut self,
        contact_type: &str,
        value: &str,
    ) -> Result<Option<Credentials>, StoreError> {
        self.call(
            "SELECT auth.find_credentials($1, $2)",
            &[text(contact_type), text(value)],
        )
        .await
    }

    async fn sign_in(
        &mut self,
        user_id: &str,
        checked_password_hash: &str,
        session: &NewSession<'_>,
        retention_days: u32,
        may_evict: bool,
    ) -> Result<SessionOutcome, StoreError> {
        let mut params = vec![
            ParameterValue::Uuid(user_id.to_string()),
            text(checked_password_hash),
        ];
        params.extend(session_params(session));
        params.push(ParameterValue::Int32(retention_days as i32));
        params.push(ParameterValue::Boolean(may_evict));
        self.outcome(
            "SELECT auth.sign_in($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &params,
        )
        .await
    }

    async fn rotate_refresh_token(
        &mut self,
        presented: &[u8; 32],
        successor: &[u8; 32],
        grace_seconds: u32,
    ) -> Result<Rotation, StoreError> {
        let params = [
            ParameterValue::Binary(presented.to_vec()),
            ParameterValue::Binary(successor.to_vec()),
            ParameterValue::Int32(grace_seconds as i32),
        ];
        self.outcome("SELECT auth.rotate_refresh_token($1, $2, $3)", &params)
            .await
    }

    async fn end_reused_session(
        &mut self,
        session_id: &str,
        replayed: &[u8; 32],
    ) -> Result<bool, StoreError> {
        let params = [
            ParameterValue::Uuid(session_id.to_string()),
            ParameterValue::Binary(replayed.to_vec()),
        ];
        self.call_bool("SELECT auth.end_reused_session($1, $2)", &params)
            .await
    }

    async fn me(&mut self, caller: &Caller<'_>) -> Result<Option<Value>, StoreError> {
        self.call("SELECT auth.me($1, $2)", &caller_params(caller))
            .await
    }

    async fn list_sessions(&mut self, caller: &Caller<'_>) -> Result<Option<Value>, StoreError> {
        self.call("SELECT auth.list_sessions($1, $2)", &caller_params(caller))
            .await
    }

    async fn revoke_session(
        &mut self,
        caller: &Caller<'_>,
        target: &str,
    ) -> Result<Revocation, StoreError> {
        let [user, session] = caller_params(caller);
        let params = [user, session, ParameterValue::Uuid(target.to_string())];
        self.outcome("SELECT auth.revoke_session($1, $2, $3)", &params)
            .await
    }

    async fn logout(&mut self, caller: &Caller<'_>, all: bool) -> Result<bool, StoreError> {
        let [user, session] = caller_params(caller);
        self.call_bool(
            "SELECT auth.logout($1, $2, $3)",
            &[user, session, ParameterValue::Boolean(all)],
        )
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

fn caller_params(caller: &Caller<'_>) -> [ParameterValue; 2] {
    [
        ParameterValue::Uuid(caller.user_id.to_string()),
        ParameterValue::Uuid(caller.session_id.to_string()),
    ]
}

impl PgStore<'_> {
    /// The single integer a function returns.
    async fn scalar_int(
        &mut self,
        sql: &str,
        params: &[ParameterValue],
    ) -> Result<i32, StoreError> {
        let rows = self.rows(sql, params).await?;
        match rows.first().and_then(|r| r.first()) {
            Some(DbValue::Int32(n)) => Ok(*n),
            other => Err(StoreError::Failed(format!(
                "expected integer, got {other:?}"
            ))),
        }
    }

    /// The single boolean a function returns.
    async fn call_bool(
        &mut self,
        sql: &str,
        params: &[ParameterValue],
    ) -> Result<bool, StoreError> {
        let rows = self.rows(sql, params).await?;
        match rows.first().and_then(|r| r.first()) {
            Some(DbValue::Boolean(b)) => Ok(*b),
            other => Err(StoreError::Failed(format!(
                "expected boolean, got {other:?}"
            ))),
        }
    }
}

/// What a failed call means for the client: the database cannot be reached
/// (503), or something unexpected happened (500). Expected outcomes never
/// arrive here. Under Spin, an error raised while the rows are read (which is
/// where a function's own errors surface) arrives only as
/// `query-error::text`, a debug rendering this code never parses; SQLSTATEs
/// survive only for errors before the first row (connect, prepare, bind).
fn store_error(statement: &str, e: PgError) -> StoreError {
    match &e {
        PgError::ConnectionFailed(_) => {
            eprintln!("database connection failed");
            StoreError::Unavailable
        }
        PgError::QueryFailed(QueryError::DbError(db)) if is_unavailable(&db.code) => {
            eprintln!("database unavailable: SQLSTATE {}", db.code);
            StoreError::Unavailable
        }
        PgError::QueryFailed(QueryError::DbError(db)) => {
            // The SQLSTATE only: message and DETAIL may quote row values.
            eprintln!("{statement}: failed with SQLSTATE {}", db.code);
            StoreError::Failed(format!("SQLSTATE {}", db.code))
        }
        PgError::QueryFailed(QueryError::Text(_)) => {
            // Not logged: it may quote row values. PostgreSQL's own log has it.
            eprintln!("{statement}: failed while its result was read (see the PostgreSQL log)");
            StoreError::Failed("failed while reading the result".into())
        }
        PgError::BadParameter(_) | PgError::ValueConversionFailed(_) | PgError::Other(_) => {
            eprintln!("{statement}: {}", describe(&e));
            StoreError::Failed(describe(&e))
        }
    }
}

/// SQLSTATEs that mean "not reachable now, try again": connection exceptions
/// (class 08), the server shutting down or starting, too many connections.
/// The connection itself is gone (not a failure of the statement).
fn is_connection_lost(e: &PgError) -> bool {
    match e {
        PgError::ConnectionFailed(_) => true,
        PgError::QueryFailed(QueryError::DbError(db)) => is_unavailable(&db.code),
        PgError::QueryFailed(QueryError::Text(text)) => {
            // tokio-postgres' `Closed`, as Spin renders it.
            text.contains("Closed") || text.contains("connection closed")
        }
        _ => false,
    }
}

fn is_unavailable(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
}

/// A log line for a driver error that leaves out the connection string.
fn describe(e: &PgError) -> String {
    match e {
        PgError::ConnectionFailed(_) => "connection failed".into(),
        PgError::BadParameter(m) | PgError::ValueConversionFailed(m) => {
            format!("bad parameter: {m}")
        }
        PgError::QueryFailed(QueryError::Text(_)) => "query failed".into(),
        PgError::QueryFailed(QueryError::DbError(db)) => {
            format!("query failed: SQLSTATE {}", db.code)
        }
        PgError::Other(m) => format!("error: {m}"),
    }
}
