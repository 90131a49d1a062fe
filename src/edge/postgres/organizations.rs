//! `flows::organizations` and `flows::invitations` over PostgreSQL: fleets
//! and firms, their members and heads, and the invitations heads make.

use super::{caller_params, optional_text, text, uuid, PgStore};
use crate::core::ports::{
    Caller, InvitationAnswer, InvitationsPage, MemberRef, MembersPage, MembershipOutcome,
    NewOrganization, OrganizationChanged, OrganizationCreated, OrganizationFound,
    OrganizationsPage, OrganizationsStore, PageAfter, StoreError,
};
use crate::edge::host::ParameterValue;

impl OrganizationsStore for PgStore<'_> {
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
        self.read_outcome(
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
        self.read_outcome("SELECT auth.organization($1, $2, $3)", &params)
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
        self.read_outcome(
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

    async fn list_invitations(
        &mut self,
        caller: &Caller<'_>,
    ) -> Result<InvitationsPage, StoreError> {
        let params = caller_params(caller);
        self.read_outcome("SELECT auth.list_invitations($1, $2)", &params)
            .await
    }

    async fn accept_invitation(
        &mut self,
        caller: &Caller<'_>,
        invitation_id: &str,
        outbox_retry_seconds: u32,
    ) -> Result<InvitationAnswer, StoreError> {
        let [user, session] = caller_params(caller);
        let params = [
            user,
            session,
            uuid(invitation_id),
            ParameterValue::Int32(outbox_retry_seconds as i32),
        ];
        self.outcome("SELECT auth.accept_invitation($1, $2, $3, $4)", &params)
            .await
    }

    async fn decline_invitation(
        &mut self,
        caller: &Caller<'_>,
        invitation_id: &str,
    ) -> Result<InvitationAnswer, StoreError> {
        let [user, session] = caller_params(caller);
        let params = [user, session, uuid(invitation_id)];
        self.outcome("SELECT auth.decline_invitation($1, $2, $3)", &params)
            .await
    }
}
