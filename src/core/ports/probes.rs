//! What `flows::probes` needs of the store: readiness, availability,
//! self-registration roles.

use super::{ContactKind, Role, StoreError};
use serde::Deserialize;

/// What `auth.self_registration_roles` answers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum InterfaceRoles {
    Roles { roles: Vec<Role> },
    UnknownInterface,
}

/// The store's part in `flows::probes`: readiness, availability,
/// self-registration roles.
#[allow(async_fn_in_trait)]
pub trait ProbesStore {
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
}
