//! `/auth/sessions`: the signed-in user's sessions, and revoking one.

use super::incoming::Incoming;
use super::reply::Reply;
use crate::core::config::Config;
use crate::core::problem::ApiError;
use crate::core::service;
use crate::edge::postgres::PgStore;
use crate::edge::redis::Redis;
use serde_json::json;

pub fn list(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let principal = incoming.authenticate(config, &mut Redis::new(config.redis_url()?))?;
    let sessions = service::list_sessions(&mut PgStore::new(config.db_url()?), &principal)?;
    Ok(Reply::json(200, &json!({"sessions": sessions})).no_store())
}

pub fn revoke(incoming: &Incoming, config: &Config, id: &str) -> Result<Reply, ApiError> {
    let principal = incoming.authenticate(config, &mut Redis::new(config.redis_url()?))?;
    service::revoke_session(&mut PgStore::new(config.db_url()?), &principal, id)?;
    Ok(Reply::no_content())
}
