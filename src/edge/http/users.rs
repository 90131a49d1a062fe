//! `/users`: staff list users; grantors create users, change their roles and
//! (de)activate them — each decided in the database from the caller's
//! current roles.

use super::incoming::Incoming;
use super::reply::Reply;
use crate::core::config::Config;
use crate::core::flows::administration::{self, parse_user_patch, RoleChange, UsersQuery};
use crate::core::flows::organizations::parse_organization_field;
use crate::core::flows::registration::Registration;
use crate::core::problem::ApiError;
use crate::edge::postgres::PgStore;
use crate::edge::redis::Redis;
use serde_json::json;

pub async fn list(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let mut store = PgStore::new(config);
    let principal = incoming
        .authenticate_for_staff_work(config, &mut Redis::new(config))
        .await?;
    let query = UsersQuery::parse(&incoming.query, config.default_phone_region()?)
        .map_err(ApiError::Validation)?;
    let page = administration::list_users(&mut store, &principal, &query).await?;
    Ok(Reply::json(200, &page).no_store())
}

pub async fn create(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let principal = incoming
        .authenticate_for_staff_work(config, &mut redis)
        .await?;
    let body = incoming.json_body()?;
    let request = Registration::parse_new_user(&body, config.default_phone_region()?);
    let organization = parse_organization_field(&body);
    let (request, organization) = match (request, organization) {
        (Ok(request), Ok(organization)) => (request, organization),
        (request, organization) => {
            let mut errors = request.err().unwrap_or_default();
            errors.extend(organization.err().unwrap_or_default());
            return Err(ApiError::Validation(errors));
        }
    };
    let user = administration::create_user(
        config,
        &mut store,
        &mut redis,
        &principal,
        request,
        organization.as_deref(),
    )
    .await?;
    Ok(Reply::json(201, &json!({"user": user})).no_store())
}

pub async fn change_roles(
    incoming: &Incoming,
    config: &Config,
    id: &str,
) -> Result<Reply, ApiError> {
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let principal = incoming
        .authenticate_for_staff_work(config, &mut redis)
        .await?;
    let change = RoleChange::parse(&incoming.json_body()?).map_err(ApiError::Validation)?;
    let now =
        administration::change_user_roles(&mut store, &mut redis, &principal, id, &change).await?;
    Ok(Reply::json(200, &now).no_store())
}

pub async fn patch(incoming: &Incoming, config: &Config, id: &str) -> Result<Reply, ApiError> {
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let principal = incoming
        .authenticate_for_staff_work(config, &mut redis)
        .await?;
    let active = parse_user_patch(&incoming.json_body()?).map_err(ApiError::Validation)?;
    let now =
        administration::set_user_active(config, &mut store, &mut redis, &principal, id, active)
            .await?;
    Ok(Reply::json(200, &now).no_store())
}
