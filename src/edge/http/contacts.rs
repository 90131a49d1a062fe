//! `/auth/contacts`: the signed-in user adds a login, phone or email (with
//! a fresh proof of the account), or removes an email.

use super::incoming::Incoming;
use super::reply::Reply;
use crate::core::config::Config;
use crate::core::flows::account::{self, ContactOutcome, NewContact};
use crate::core::problem::ApiError;
use crate::edge::outbound::HostOutbound;
use crate::edge::postgres::PgStore;
use crate::edge::redis::Redis;
use serde_json::json;

pub async fn add(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let principal = incoming.authenticate(config, &mut redis).await?;
    let request = NewContact::parse(&incoming.json_body()?, config.default_phone_region()?)
        .map_err(ApiError::Validation)?;
    let client = incoming.client(config)?;
    let contact = account::add_contact(
        config,
        &mut store,
        &mut redis,
        &mut HostOutbound,
        &principal,
        request,
        &client,
    )
    .await?;
    Ok(match contact {
        ContactOutcome::Added(contact) => Reply::json(201, &json!({"contact": contact})),
        ContactOutcome::Pending { email } => Reply::json(
            202,
            &json!({"status": "verification_sent", "email": email, "verified": false}),
        ),
    }
    .no_store())
}

pub async fn remove(incoming: &Incoming, config: &Config, id: &str) -> Result<Reply, ApiError> {
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let principal = incoming.authenticate(config, &mut redis).await?;
    account::remove_contact(&mut store, &mut redis, &principal, id).await?;
    Ok(Reply::no_content())
}
