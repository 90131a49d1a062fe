//! `GET /auth/roles`: signed in, the roles the caller may grant now; anonymous
//! with `?interface=`, the roles that interface lets people self-register into.

use super::incoming::Incoming;
use super::reply::Reply;
use crate::core::config::Config;
use crate::core::flows::{administration, probes};
use crate::core::problem::ApiError;
use crate::edge::postgres::PgStore;
use crate::edge::redis::Redis;
use serde_json::json;

pub async fn list(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let mut store = PgStore::new(config);
    let asked = incoming
        .query
        .iter()
        .find(|(k, _)| k == "interface")
        .map(|(_, v)| v.as_str());
    let roles = if incoming.presented().token.is_some() {
        // Not used when signed in, but never a value that means nothing.
        if asked.is_some() {
            probes::parse_interface(asked).map_err(ApiError::Validation)?;
        }
        let principal = incoming
            .authenticate(config, &mut Redis::new(config))
            .await?;
        administration::grantable_roles(&mut store, &principal).await?
    } else {
        let interface = probes::parse_interface(asked).map_err(ApiError::Validation)?;
        probes::self_registration_roles(&mut store, &interface).await?
    };
    Ok(Reply::json(200, &json!({"roles": roles})).no_store())
}
