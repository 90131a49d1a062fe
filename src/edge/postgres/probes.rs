//! `flows::probes` over PostgreSQL: readiness, availability, self-registration
//! roles.

use super::{text, PgStore};
use crate::core::ports::{ContactKind, InterfaceRoles, ProbesStore, StoreError};

impl ProbesStore for PgStore<'_> {
    async fn ping(&mut self) -> Result<(), StoreError> {
        self.read_bool("SELECT auth.ping()", &[]).await.map(|_| ())
    }

    async fn contact_available(
        &mut self,
        kind: ContactKind,
        value: &str,
    ) -> Result<bool, StoreError> {
        self.read_bool(
            "SELECT auth.contact_available($1, $2)",
            &[text(kind.as_str()), text(value)],
        )
        .await
    }

    async fn self_registration_roles(
        &mut self,
        interface: &str,
    ) -> Result<InterfaceRoles, StoreError> {
        self.read_outcome(
            "SELECT auth.self_registration_roles($1)",
            &[text(interface)],
        )
        .await
    }
}
