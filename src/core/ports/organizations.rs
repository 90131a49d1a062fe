//! What `flows::organizations` needs of the store: fleets and firms, their
//! members and heads; and what `flows::invitations` needs: a head's
//! invitations, as the invited person sees and answers them.

use super::{Caller, ContactKind, EventMessage, PageAfter, StoreError};
use serde::Deserialize;
use serde_json::Value;

/// What `auth.create_organization` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum OrganizationCreated {
    Created {
        organization: Value,
        events: Vec<EventMessage>,
    },
    UnknownKind,
    /// Only staff who may appoint the kind's heads create organizations.
    NotAllowed,
    ServiceTypeRequired,
    ServiceTypeNotApplicable,
    UnknownServiceType,
    SessionInactive,
}

/// What `auth.list_organizations` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum OrganizationsPage {
    /// In (created_at, id) order.
    Organizations {
        organizations: Vec<Value>,
    },
    /// Neither staff nor heading any organization.
    NotStaff,
    SessionInactive,
}

/// What `auth.organization` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum OrganizationFound {
    Found {
        organization: Value,
    },
    /// Unknown, or not the caller's to see: the same answer.
    NotFound,
    SessionInactive,
}

/// What `auth.update_organization` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum OrganizationChanged {
    Changed {
        organization: Value,
        /// The current members, whose `/me` changed with it.
        members: Vec<String>,
    },
    /// The caller may see it but not change it (a head, support).
    NotAllowed,
    NotFound,
    SessionInactive,
}

/// What `auth.list_members` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum MembersPage {
    /// In (since, user_id) order.
    Members {
        members: Vec<Value>,
    },
    NotFound,
    SessionInactive,
}

/// What the membership functions answer (`auth.add_member`,
/// `auth.end_membership`, `auth.appoint_head`, `auth.dismiss_head`; each
/// only its own success).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum MembershipOutcome {
    Added {
        membership: Value,
        events: Vec<EventMessage>,
    },
    AlreadyMember {
        membership: Value,
    },
    Ended {
        membership: Value,
        events: Vec<EventMessage>,
    },
    Appointed {
        membership: Value,
        events: Vec<EventMessage>,
    },
    Dismissed {
        membership: Value,
    },
    /// A head's add of an existing user: an invitation was made now
    /// (`{id, organization_id, user_id, expires_at}`).
    Invited {
        invitation: Value,
    },
    /// A head's add that made no invitation, whatever the reason (unknown,
    /// inactive, already invited or a member, in another organization, out
    /// of reach): one outcome, so that nothing tells accounts apart.
    NotInvited,
    /// No active user with that id or contact.
    UserNotFound,
    /// A user the caller may not bring in or remove (staff, a fellow head).
    TargetOutOfReach,
    OrganizationInactive,
    /// The caller may see the organization but not do this.
    NotAllowed,
    /// No such organization or current member, as far as the caller may see.
    NotFound,
    SessionInactive,
}

/// What `auth.list_invitations` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum InvitationsPage {
    /// Pending and unexpired, newest first: `{id, organization: {id, name,
    /// kind}, created_at, expires_at}`.
    Invitations {
        invitations: Vec<Value>,
    },
    SessionInactive,
}

/// What `auth.accept_invitation` and `auth.decline_invitation` answer (each
/// only its own success).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum InvitationAnswer {
    Accepted {
        /// `{id, organization_id, user_id, invited_by}`.
        invitation: Value,
        membership: Value,
        events: Vec<EventMessage>,
    },
    Declined {
        /// `{id, organization_id, user_id}`.
        invitation: Value,
    },
    /// The organization was deactivated since: it stays pending.
    OrganizationInactive,
    /// The user joined another organization since: it stays pending.
    MemberElsewhere,
    /// The user no longer holds a role the organization is for, or holds a
    /// staff role: it stays pending.
    NotEligible,
    /// Unknown, someone else's, answered or expired: one answer.
    NotFound,
    SessionInactive,
}

/// Who is to join an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberRef {
    Id(String),
    /// An active contact, normalized.
    Contact(ContactKind, String),
}

/// What `auth.create_organization` stores (name trimmed).
pub struct NewOrganization<'a> {
    pub kind: &'a str,
    pub service_type: Option<&'a str>,
    pub name: &'a str,
    pub outbox_retry_seconds: u32,
}

/// The store's part in `flows::organizations`: fleets and firms, their members
/// and heads.
#[allow(async_fn_in_trait)]
pub trait OrganizationsStore {
    async fn create_organization(
        &mut self,
        caller: &Caller<'_>,
        organization: &NewOrganization<'_>,
    ) -> Result<OrganizationCreated, StoreError>;
    async fn list_organizations(
        &mut self,
        caller: &Caller<'_>,
        limit: u32,
        after: Option<&PageAfter<'_>>,
    ) -> Result<OrganizationsPage, StoreError>;
    async fn organization(
        &mut self,
        caller: &Caller<'_>,
        organization_id: &str,
    ) -> Result<OrganizationFound, StoreError>;
    async fn update_organization(
        &mut self,
        caller: &Caller<'_>,
        organization_id: &str,
        name: Option<&str>,
        active: Option<bool>,
    ) -> Result<OrganizationChanged, StoreError>;
    async fn list_members(
        &mut self,
        caller: &Caller<'_>,
        organization_id: &str,
        limit: u32,
        after: Option<&PageAfter<'_>>,
    ) -> Result<MembersPage, StoreError>;
    async fn add_member(
        &mut self,
        caller: &Caller<'_>,
        organization_id: &str,
        member: &MemberRef,
        outbox_retry_seconds: u32,
    ) -> Result<MembershipOutcome, StoreError>;
    async fn end_membership(
        &mut self,
        caller: &Caller<'_>,
        organization_id: &str,
        member_id: &str,
        outbox_retry_seconds: u32,
    ) -> Result<MembershipOutcome, StoreError>;
    async fn appoint_head(
        &mut self,
        caller: &Caller<'_>,
        organization_id: &str,
        member_id: &str,
        outbox_retry_seconds: u32,
    ) -> Result<MembershipOutcome, StoreError>;
    async fn dismiss_head(
        &mut self,
        caller: &Caller<'_>,
        organization_id: &str,
        member_id: &str,
    ) -> Result<MembershipOutcome, StoreError>;
    /// The caller's own invitations (`flows::invitations`).
    async fn list_invitations(
        &mut self,
        caller: &Caller<'_>,
    ) -> Result<InvitationsPage, StoreError>;
    async fn accept_invitation(
        &mut self,
        caller: &Caller<'_>,
        invitation_id: &str,
        outbox_retry_seconds: u32,
    ) -> Result<InvitationAnswer, StoreError>;
    async fn decline_invitation(
        &mut self,
        caller: &Caller<'_>,
        invitation_id: &str,
    ) -> Result<InvitationAnswer, StoreError>;
}
