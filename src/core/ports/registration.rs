//! What `flows::registration` needs of the store: registering a user (`POST
//! /auth/register`).

use super::{ContactKind, EventMessage, NewEmailLink, NewSession, StoreError};
use serde::Deserialize;
use serde_json::{Map, Value};

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
    /// With an email: its verification link.
    pub email_link: Option<NewEmailLink<'a>>,
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
    /// The account that held the proven phone unverified and lost it
    /// (phone-only registration; SPEC §2).
    #[serde(default)]
    pub taken_from: Option<String>,
    /// The email is held unverified by another account: claimed by the
    /// link, not added.
    #[serde(default)]
    pub email_claimed: bool,
}

/// The store's part in `flows::registration`: registering a user (`POST
/// /auth/register`).
#[allow(async_fn_in_trait)]
pub trait RegistrationStore {
    /// `auth.register` without a password, given a register proof.
    async fn register_by_phone(
        &mut self,
        proof_hash: &[u8; 32],
        registration: &NewRegistration<'_>,
    ) -> Result<RegistrationOutcome, StoreError>;
    /// One transaction: user, contacts, memberships, session, refresh token, event.
    async fn register(
        &mut self,
        registration: &NewRegistration<'_>,
    ) -> Result<RegistrationOutcome, StoreError>;
}
