//! What `flows::administration` needs of the store: roles one may grant, users.

use super::{Caller, ContactKind, EventMessage, PageAfter, Role, StoreError};
use serde::Deserialize;
use serde_json::{Map, Value};

/// What `auth.grantable_roles` answers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum GrantableRoles {
    Roles { roles: Vec<Role> },
    SessionInactive,
}

/// What `auth.list_users` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum UsersPage {
    /// In (created_at, id) order; each has `id` and `created_at`.
    Users {
        users: Vec<Value>,
    },
    NotStaff,
    SessionInactive,
}

/// What `auth.create_user` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum UserCreated {
    Created {
        user: Value,
        events: Vec<EventMessage>,
    },
    RolesNotAllowed {
        roles: Vec<String>,
    },
    /// A head of several organizations named none.
    OrganizationRequired,
    /// An organization the caller neither administers nor heads, or inactive.
    OrganizationOutOfReach,
    Taken {
        field: ContactKind,
    },
    SessionInactive,
}

/// What `auth.change_user_roles` and `auth.set_user_active` answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum UserChanged {
    Changed {
        #[serde(flatten)]
        now: Map<String, Value>,
    },
    RolesNotAllowed {
        roles: Vec<String>,
    },
    /// The user holds a role the caller could not grant (or is the caller).
    TargetOutOfReach,
    /// A head tried what only staff do ((de)activating an account).
    StaffOnly,
    NoRoleLeft,
    OwnLastStaffRole,
    NotFound,
    SessionInactive,
}

/// Everything `auth.create_user` stores, already normalized and hashed.
pub struct NewUser<'a> {
    pub second_login: &'a str,
    pub phone: &'a str,
    pub email: Option<&'a str>,
    pub password_hash: &'a str,
    pub profile: &'a Map<String, Value>,
    pub group_names: &'a [String],
    /// The organization the user joins in the same transaction.
    pub organization_id: Option<&'a str>,
    pub outbox_retry_seconds: u32,
}

pub struct UsersFilter<'a> {
    pub limit: u32,
    pub after: Option<PageAfter<'a>>,
    pub role: Option<&'a str>,
    pub contact: Option<(ContactKind, &'a str)>,
    pub organization_id: Option<&'a str>,
}

/// The store's part in `flows::administration`: roles one may grant, users.
#[allow(async_fn_in_trait)]
pub trait AdministrationStore {
    async fn list_users(
        &mut self,
        caller: &Caller<'_>,
        filter: &UsersFilter<'_>,
    ) -> Result<UsersPage, StoreError>;
    async fn create_user(
        &mut self,
        caller: &Caller<'_>,
        user: &NewUser<'_>,
    ) -> Result<UserCreated, StoreError>;
    async fn change_user_roles(
        &mut self,
        caller: &Caller<'_>,
        target: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<UserChanged, StoreError>;
    async fn set_user_active(
        &mut self,
        caller: &Caller<'_>,
        target: &str,
        active: bool,
    ) -> Result<UserChanged, StoreError>;
    /// The roles the caller may grant, from their current memberships.
    async fn grantable_roles(&mut self, caller: &Caller<'_>) -> Result<GrantableRoles, StoreError>;
}
