//! What the core needs from the outside world, as traits. The Spin adapters in
//! `src/edge` implement them over PostgreSQL stored functions and Redis.

use crate::core::abuse::{Forgiveness, Verdict, Window};
use crate::core::config::ConfigError;
use serde::Deserialize;
use serde_json::{Map, Value};

/// What went wrong talking to the database. Outcomes a client can cause
/// (a taken login, a role not allowed, …) are not errors: they come back as
/// values (the `*Outcome` enums below), since Spin's host flattens errors a
/// stored function raises into text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The database cannot be reached.
    Unavailable,
    /// Its setting (`db_url`) is missing or bad.
    Misconfigured(ConfigError),
    /// Anything else; the message is for the log, never for the client.
    Failed(String),
}

/// The kinds of contact a user has (SPEC §2), as the database names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    SecondLogin,
    Phone,
    Email,
}

impl ContactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::SecondLogin => "second_login",
            ContactKind::Phone => "phone",
            ContactKind::Email => "email",
        }
    }
}

/// Everything `auth.register` stores, already normalized and hashed.
pub struct NewRegistration<'a> {
    pub second_login: &'a str,
    pub phone: &'a str,
    pub email: Option<&'a str>,
    /// None: a phone-only account (registered with a phone proof).
    pub password_hash: Option<&'a str>,
    pub profile: &'a Map<String, Value>,
    pub group_names: &'a [String],
    pub interface: &'a str,
    pub session: NewSession<'a>,
    /// Events unpublished this long are handed back to announce again.
    pub outbox_retry_seconds: u32,
}

pub struct NewSession<'a> {
    pub refresh_token_hash: &'a [u8; 32],
    pub ttl_seconds: u32,
    pub max_sessions: u32,
    pub client: &'a ClientInfo,
}

/// Who is calling, as far as the request tells.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// What `auth.register` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RegistrationOutcome {
    Registered(Registered),
    /// An active contact of this kind already belongs to someone (also when
    /// a concurrent registration won the race for it).
    Taken {
        field: ContactKind,
    },
    UnknownInterface,
    /// These roles cannot be self-registered through the interface (empty:
    /// none were asked for).
    RolesNotAllowed {
        roles: Vec<String>,
    },
    /// (`auth.register_by_phone` only) no unused register proof of this
    /// phone.
    ProofInvalid,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Registered {
    pub user_id: String,
    pub created_at: String,
    pub roles: Vec<String>,
    pub session_id: String,
    /// Messages to announce: this registration's event, then older ones
    /// still unpublished.
    pub events: Vec<EventMessage>,
}

/// An outbox event as announced on Redis: `{event_id, type, …payload}`.
#[derive(Debug, Clone, Deserialize)]
pub struct EventMessage {
    pub event_id: String,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

impl EventMessage {
    pub fn to_json(&self) -> Value {
        let mut message = self.rest.clone();
        message.insert("event_id".into(), Value::String(self.event_id.clone()));
        Value::Object(message)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Credentials {
    pub user_id: String,
    pub password_hash: Option<String>,
}

/// A role (group) as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct Role {
    pub name: String,
    pub description: String,
}

/// What `auth.self_registration_roles` answers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum InterfaceRoles {
    Roles { roles: Vec<Role> },
    UnknownInterface,
}

/// What `auth.grantable_roles` answers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum GrantableRoles {
    Roles { roles: Vec<Role> },
    SessionInactive,
}

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

/// A page position: after this (created_at, id).
pub struct PageAfter<'a> {
    pub created_at: &'a str,
    pub id: &'a str,
}

pub struct UsersFilter<'a> {
    pub limit: u32,
    pub after: Option<PageAfter<'a>>,
    pub role: Option<&'a str>,
    pub contact: Option<(ContactKind, &'a str)>,
    pub organization_id: Option<&'a str>,
}

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

/// What `auth.request_otp` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CodeIssued {
    /// Stored; `deliver`: whether an SMS should go out (the phone is one
    /// this purpose sends to).
    Issued { deliver: bool },
    /// The previous code is younger than the resend delay.
    TooSoon { retry_after: u32 },
}

/// What trying a code answers (`auth.sign_in_with_otp`, `auth.prove_phone`;
/// each only its own success).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CodeTried {
    /// Signed in (login).
    Opened(OpenedByCode),
    /// A one-time proof stored (register, verify_phone).
    Proven { expires_in: u32 },
    /// Not the code; counted.
    Wrong { attempts_left: u32 },
    /// No usable code (none, used, expired, out of attempts), or nobody to
    /// sign in.
    Invalid,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OpenedByCode {
    pub user_id: String,
    #[serde(flatten)]
    pub session: OpenedSession,
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

/// A POST to an outside service (an SMS gateway).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboundError {
    /// No answer within the time given.
    TimedOut,
    /// Refused by the host (not in `allowed_outbound_hosts`), unreachable,
    /// or broken off.
    Failed(String),
}

/// Outbound HTTP and the clock (Spin's outbound HTTP in production).
#[allow(async_fn_in_trait)]
pub trait Outbound {
    /// POSTs `request`, giving up after `timeout_ms` in all (connecting,
    /// the answer, its body).
    async fn post(
        &mut self,
        request: &OutboundRequest,
        timeout_ms: u32,
    ) -> Result<OutboundResponse, OutboundError>;
    /// Waits this long without holding anything else up.
    async fn pause(&mut self, milliseconds: u64);
}

/// The sessions of one user that the current transaction ended.
#[derive(Debug, Clone, Deserialize)]
pub struct UserSessionsEnded {
    pub user_id: String,
    pub sessions: Vec<String>,
}

/// What `auth.sign_in` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SessionOutcome {
    Opened(OpenedSession),
    /// The user was deactivated after their credentials were checked.
    UserInactive,
    /// The password changed after it was checked (a racing password change).
    CredentialsChanged,
    /// The user already has `max_active_sessions` open and eviction was not
    /// allowed: nothing was opened.
    AtSessionLimit,
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
pub struct OpenedSession {
    pub session_id: String,
    pub roles: Vec<String>,
    /// The organizations its access tokens name.
    pub organizations: Vec<String>,
    /// Until the session's absolute expiry.
    pub seconds_left: i64,
}

/// What `auth.rotate_refresh_token` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Rotation {
    /// The token was consumed and its successor stored.
    Rotated(RotatedSession),
    /// Consumed moments ago (within the grace): another tab's refresh; the
    /// successor is stored all the same.
    Concurrent(RotatedSession),
    /// Consumed after the grace (a replay), or any token of a session where
    /// a replay was seen before and not yet ended. The session is marked,
    /// not ended: the caller tells Redis, then ends it
    /// (`Store::end_reused_session`).
    ReuseDetected { session_id: String, user_id: String },
    /// Unknown, expired, or of an ended session.
    Invalid,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RotatedSession {
    pub session_id: String,
    pub user_id: String,
    pub roles: Vec<String>,
    /// The organizations its access tokens name.
    pub organizations: Vec<String>,
    /// Until the session's absolute expiry.
    pub seconds_left: i64,
}

/// What `auth.revoke_session` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Revocation {
    Revoked,
    /// No such session of this user (someone else's is as absent).
    NotFound,
    /// The caller's own session has ended.
    SessionInactive,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PasswordCredentials {
    pub password_hash: Option<String>,
    /// The user's active contact values, which a new password may not equal.
    pub identifiers: Vec<String>,
}

/// The user and session a protected call acts for; every method below
/// answers `None`/`false` when that session is no longer active.
pub struct Caller<'a> {
    pub user_id: &'a str,
    pub session_id: &'a str,
}

#[allow(async_fn_in_trait)]
pub trait Store {
    /// Starts a transaction on this store's connection: what follows commits
    /// together or not at all.
    async fn begin(&mut self) -> Result<(), StoreError>;
    async fn commit(&mut self) -> Result<(), StoreError>;
    /// Best effort: a transaction that is not committed leaves nothing.
    async fn rollback(&mut self);
    /// The sessions the current transaction has ended so far.
    async fn sessions_ended_now(&mut self) -> Result<Vec<String>, StoreError>;
    async fn request_otp(
        &mut self,
        phone: &str,
        purpose: &str,
        code_digest: &[u8; 32],
        ttl_seconds: u32,
        resend_seconds: u32,
    ) -> Result<CodeIssued, StoreError>;
    /// Deletes a code the gateway did not take.
    async fn withdraw_otp(
        &mut self,
        phone: &str,
        purpose: &str,
        code_digest: &[u8; 32],
    ) -> Result<(), StoreError>;
    async fn sign_in_with_otp(
        &mut self,
        phone: &str,
        code_digest: &[u8; 32],
        max_attempts: u32,
        session: &NewSession<'_>,
    ) -> Result<CodeTried, StoreError>;
    async fn prove_phone(
        &mut self,
        phone: &str,
        purpose: &str,
        code_digest: &[u8; 32],
        max_attempts: u32,
        proof_hash: &[u8; 32],
        proof_ttl_seconds: u32,
    ) -> Result<CodeTried, StoreError>;
    /// `auth.register` without a password, given a register proof.
    async fn register_by_phone(
        &mut self,
        proof_hash: &[u8; 32],
        registration: &NewRegistration<'_>,
    ) -> Result<RegistrationOutcome, StoreError>;
    async fn add_verified_phone(
        &mut self,
        caller: &Caller<'_>,
        proof_hash: &[u8; 32],
        phone: &str,
    ) -> Result<PhoneProven, StoreError>;
    /// The same, by user, for acts that end sessions of several users.
    async fn users_ended_now(&mut self) -> Result<Vec<UserSessionsEnded>, StoreError>;
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
    /// Whether the database answers (readiness).
    async fn ping(&mut self) -> Result<(), StoreError>;
    /// Whether no active contact of `kind` holds `value` (normalized).
    async fn contact_available(
        &mut self,
        kind: ContactKind,
        value: &str,
    ) -> Result<bool, StoreError>;
    async fn self_registration_roles(
        &mut self,
        interface: &str,
    ) -> Result<InterfaceRoles, StoreError>;
    /// The roles the caller may grant, from their current memberships.
    async fn grantable_roles(&mut self, caller: &Caller<'_>) -> Result<GrantableRoles, StoreError>;
    /// One transaction: user, contacts, memberships, session, refresh token, event.
    async fn register(
        &mut self,
        registration: &NewRegistration<'_>,
    ) -> Result<RegistrationOutcome, StoreError>;
    /// Marks events announced on Redis.
    async fn mark_published(&mut self, event_ids: &[String]) -> Result<(), StoreError>;
    async fn find_credentials(
        &mut self,
        contact_type: &str,
        value: &str,
    ) -> Result<Option<Credentials>, StoreError>;
    /// Opens a session after a password check, if `checked_password_hash`
    /// is still the user's (under the user's row lock); runs the user's
    /// retention first. Without `may_evict`, a user at the session limit
    /// gets `AtSessionLimit` and nothing changes.
    async fn sign_in(
        &mut self,
        user_id: &str,
        checked_password_hash: &str,
        session: &NewSession<'_>,
        retention_days: u32,
        may_evict: bool,
    ) -> Result<SessionOutcome, StoreError>;
    /// Atomically consumes a refresh token and stores its successor; a
    /// replay is only reported.
    async fn rotate_refresh_token(
        &mut self,
        presented: &[u8; 32],
        successor: &[u8; 32],
        grace_seconds: u32,
    ) -> Result<Rotation, StoreError>;
    /// Ends a session marked by a replay (the hash of the token presented
    /// then is the proof); whether it was still open.
    async fn end_reused_session(
        &mut self,
        session_id: &str,
        replayed: &[u8; 32],
    ) -> Result<bool, StoreError>;
    async fn me(&mut self, caller: &Caller<'_>) -> Result<Option<Value>, StoreError>;
    async fn list_sessions(&mut self, caller: &Caller<'_>) -> Result<Option<Value>, StoreError>;
    async fn revoke_session(
        &mut self,
        caller: &Caller<'_>,
        target: &str,
    ) -> Result<Revocation, StoreError>;
    async fn logout(&mut self, caller: &Caller<'_>, all: bool) -> Result<bool, StoreError>;
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

/// What went wrong talking to Redis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheError {
    /// No connection (refused, not allowed, timed out).
    Unreachable(String),
    /// Its setting (`redis_url`) is missing or bad.
    Misconfigured(ConfigError),
    /// Connected, but the command failed or answered something unexpected.
    Failed(String),
}

impl std::fmt::Display for CacheError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CacheError::Unreachable(m) => write!(f, "Redis unreachable: {m}"),
            CacheError::Failed(m) => write!(f, "Redis command failed: {m}"),
            CacheError::Misconfigured(e) => write!(f, "Redis not configured: {e}"),
        }
    }
}

/// Where an access token stands, as far as Redis can tell. Redis only ever
/// refuses: what it holds of ended sessions may be lost (a flush, an
/// eviction, a restart from an older snapshot), so it never vouches for a
/// session by the absence of a key. Every handler past the guard checks the
/// session in PostgreSQL, except `/me` served from a cached answer that
/// PostgreSQL confirmed (`MeLookup`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Redis knows of no end of this token or its session.
    NotKnownRevoked,
    /// The token was logged out, or its session ended.
    Revoked,
}

/// Sessions that end together, and the user they belong to.
pub struct Ending<'a> {
    pub user_id: &'a str,
    pub sessions: Vec<String>,
    /// The access token logged out, blacklisted too.
    pub blacklisted_jti: Option<&'a str>,
}

/// The access-token blacklist and the record of ended sessions (Redis):
/// what lets the guard refuse without PostgreSQL.
#[allow(async_fn_in_trait)]
pub trait Revocations {
    async fn standing(&mut self, jti: &str, session_id: &str) -> Result<Standing, CacheError>;
    /// Records `ending` for `ttl_seconds`: the sessions refused at once,
    /// their cached `/me` answers gone, and the user's fence moved so that
    /// no `/me` answer read before now can be cached after it.
    async fn record_ending(
        &mut self,
        ending: &Ending<'_>,
        ttl_seconds: u64,
    ) -> Result<(), CacheError>;
}

/// What a cached `/me` answer must match to be stored: the Redis process
/// (its run id, new after every restart or failover) and the user's fence
/// (moved by every change), both as they were before PostgreSQL was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeFence(pub String);

/// What the guard's round trip found for `/me`.
#[derive(Debug, Clone, PartialEq)]
pub enum MeLookup {
    Revoked,
    /// An answer PostgreSQL gave for this session, in this Redis process,
    /// with no change of the user or end of the session since.
    Fresh(Value),
    /// Nothing Redis can vouch for: ask PostgreSQL, then cache with the fence.
    Missing(MeFence),
}

/// `/me` answers kept in Redis per session for a short while, so `/me`
/// needs no PostgreSQL; they can never go back in time (see `MeFence`).
#[allow(async_fn_in_trait)]
pub trait MeCache {
    /// The guard's check and the cached answer, in one round trip.
    async fn standing_with_me(
        &mut self,
        jti: &str,
        session_id: &str,
        user_id: &str,
    ) -> Result<MeLookup, CacheError>;
    /// Stores `me` unless Redis restarted, the user changed or the session
    /// ended since `fence` was read; whether it was stored.
    async fn remember_me(
        &mut self,
        session_id: &str,
        user_id: &str,
        fence: &MeFence,
        me: &Value,
        ttl_seconds: u64,
    ) -> Result<bool, CacheError>;
    /// After a change to the user: every cached answer of theirs is stale.
    async fn forget_me(&mut self, user_id: &str) -> Result<(), CacheError>;
}

/// Where events are announced once they are committed.
#[allow(async_fn_in_trait)]
pub trait Events {
    async fn publish(&mut self, channel: &str, payload: &[u8]) -> Result<(), CacheError>;
}

/// Whether Redis answers (readiness).
#[allow(async_fn_in_trait)]
pub trait Reachable {
    async fn ping(&mut self) -> Result<(), CacheError>;
}

/// The counters of `core::abuse` (Redis).
#[allow(async_fn_in_trait)]
pub trait Throttle {
    /// Checks every window and, unless one refuses, counts the attempt in
    /// all of them — atomically, so concurrent attempts cannot slip past.
    async fn hit(&mut self, windows: &[Window]) -> Result<Verdict, CacheError>;
    /// Takes back what a successful login was counted for.
    async fn forgive(&mut self, forgiveness: &Forgiveness) -> Result<(), CacheError>;
}
