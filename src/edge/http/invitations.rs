//! `/auth/invitations`: the signed-in user's invitations into
//! organizations (made by their heads), and accepting or declining one.

use super::incoming::Incoming;
use super::reply::Reply;
use crate::core::config::Config;
use crate::core::flows::invitations;
use crate::core::problem::ApiError;
use crate::edge::postgres::PgStore;
use crate::edge::redis::Redis;
use serde_json::json;

pub async fn list(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let mut store = PgStore::new(config);
    let principal = incoming
        .authenticate(config, &mut Redis::new(config))
        .await?;
    let found = invitations::list(&mut store, &principal).await?;
    Ok(Reply::json(200, &found).no_store())
}

pub async fn accept(incoming: &Incoming, config: &Config, id: &str) -> Result<Reply, ApiError> {
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let principal = incoming.authenticate(config, &mut redis).await?;
    let membership = invitations::accept(config, &mut store, &mut redis, &principal, id).await?;
    Ok(Reply::json(200, &json!({"membership": membership})).no_store())
}

pub async fn decline(incoming: &Incoming, config: &Config, id: &str) -> Result<Reply, ApiError> {
    let mut store = PgStore::new(config);
    let principal = incoming
        .authenticate(config, &mut Redis::new(config))
        .await?;
    invitations::decline(&mut store, &principal, id).await?;
    Ok(Reply::no_content())
}
