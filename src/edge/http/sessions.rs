//! `/auth/sessions`: the signed-in user's sessions, and revoking one.

use super::incoming::Incoming;
use super::reply::Reply;
use crate::core::config::Config;
use crate::core::flows::sessions;
use crate::core::problem::ApiError;
use crate::edge::postgres::PgStore;
use crate::edge::redis::Redis;
use serde_json::json;

pub async fn list(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let mut store = PgStore::new(config);
    let principal = incoming
        .authenticate(config, &mut Redis::new(config))
        .await?;
    let sessions = sessions::list_sessions(&mut store, &principal).await?;
    Ok(Reply::json(200, &json!({"sessions": sessions})).no_store())
}

pub async fn revoke(incoming: &Incoming, config: &Config, id: &str) -> Result<Reply, ApiError> {
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let principal = incoming.authenticate(config, &mut redis).await?;
    sessions::revoke_session(config, &mut store, &mut redis, &principal, id).await?;
    Ok(Reply::no_content())
}
