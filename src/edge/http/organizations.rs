//! `/organizations`: staff create and administer fleets and firms; heads
//! read theirs and manage their members. Each decided in the database from
//! the caller's current roles and memberships.

use super::incoming::Incoming;
use super::reply::Reply;
use crate::core::config::Config;
use crate::core::flows::administration::PageQuery;
use crate::core::flows::organizations::{
    self, HeadRequest, MemberRequest, OrganizationPatch, OrganizationRequest,
};
use crate::core::problem::ApiError;
use crate::edge::postgres::PgStore;
use crate::edge::redis::Redis;
use serde_json::json;

pub async fn create(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let principal = incoming
        .authenticate_for_staff_work(config, &mut redis)
        .await?;
    let request =
        OrganizationRequest::parse(&incoming.json_body()?).map_err(ApiError::Validation)?;
    let organization =
        organizations::create(config, &mut store, &mut redis, &principal, &request).await?;
    Ok(Reply::json(201, &json!({"organization": organization})).no_store())
}

pub async fn list(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let mut store = PgStore::new(config);
    let principal = incoming
        .authenticate_for_staff_work(config, &mut Redis::new(config))
        .await?;
    let page = PageQuery::parse(&incoming.query).map_err(ApiError::Validation)?;
    let found = organizations::list(&mut store, &principal, &page).await?;
    Ok(Reply::json(200, &found).no_store())
}

pub async fn get(incoming: &Incoming, config: &Config, id: &str) -> Result<Reply, ApiError> {
    let mut store = PgStore::new(config);
    let principal = incoming
        .authenticate_for_staff_work(config, &mut Redis::new(config))
        .await?;
    let organization = organizations::get(&mut store, &principal, id).await?;
    Ok(Reply::json(200, &json!({"organization": organization})).no_store())
}

pub async fn patch(incoming: &Incoming, config: &Config, id: &str) -> Result<Reply, ApiError> {
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let principal = incoming
        .authenticate_for_staff_work(config, &mut redis)
        .await?;
    let patch = OrganizationPatch::parse(&incoming.json_body()?).map_err(ApiError::Validation)?;
    let organization =
        organizations::update(config, &mut store, &mut redis, &principal, id, &patch).await?;
    Ok(Reply::json(200, &json!({"organization": organization})).no_store())
}

pub async fn members(incoming: &Incoming, config: &Config, id: &str) -> Result<Reply, ApiError> {
    let mut store = PgStore::new(config);
    let principal = incoming
        .authenticate_for_staff_work(config, &mut Redis::new(config))
        .await?;
    let page = PageQuery::parse(&incoming.query).map_err(ApiError::Validation)?;
    let found = organizations::members(&mut store, &principal, id, &page).await?;
    Ok(Reply::json(200, &found).no_store())
}

pub async fn add_member(incoming: &Incoming, config: &Config, id: &str) -> Result<Reply, ApiError> {
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let principal = incoming
        .authenticate_for_staff_work(config, &mut redis)
        .await?;
    let request = MemberRequest::parse(&incoming.json_body()?, config.default_phone_region()?)
        .map_err(ApiError::Validation)?;
    let joined =
        organizations::add_member(config, &mut store, &mut redis, &principal, id, request).await?;
    Ok(Reply::json(joined.status, &joined.body).no_store())
}

pub async fn remove_member(
    incoming: &Incoming,
    config: &Config,
    id: &str,
    member: &str,
) -> Result<Reply, ApiError> {
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let principal = incoming
        .authenticate_for_staff_work(config, &mut redis)
        .await?;
    organizations::end_membership(config, &mut store, &mut redis, &principal, id, member).await?;
    Ok(Reply::no_content())
}

pub async fn appoint_head(
    incoming: &Incoming,
    config: &Config,
    id: &str,
) -> Result<Reply, ApiError> {
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let principal = incoming
        .authenticate_for_staff_work(config, &mut redis)
        .await?;
    let request = HeadRequest::parse(&incoming.json_body()?).map_err(ApiError::Validation)?;
    let membership =
        organizations::appoint_head(config, &mut store, &mut redis, &principal, id, &request)
            .await?;
    Ok(Reply::json(200, &json!({"membership": membership})).no_store())
}

pub async fn dismiss_head(
    incoming: &Incoming,
    config: &Config,
    id: &str,
    member: &str,
) -> Result<Reply, ApiError> {
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let principal = incoming
        .authenticate_for_staff_work(config, &mut redis)
        .await?;
    let membership =
        organizations::dismiss_head(&mut store, &mut redis, &principal, id, member).await?;
    Ok(Reply::json(200, &json!({"membership": membership})).no_store())
}
