//! `/auth/health` (liveness), `/auth/ready` (readiness) and
//! `/auth/availability` (is a login, phone or email free).

use super::incoming::Incoming;
use super::reply::Reply;
use crate::core::config::Config;
use crate::core::flows::probes::{self, Readiness};
use crate::core::problem::ApiError;
use crate::edge::postgres::PgStore;
use crate::edge::redis::Redis;
use serde_json::json;

pub async fn health() -> Result<Reply, ApiError> {
    Ok(Reply::json(200, &json!({"status": "ok"})))
}

/// 200 when the configuration, PostgreSQL and Redis are all usable, else 503
/// naming what is not (never an address or a secret).
pub async fn ready(config: &Config) -> Result<Reply, ApiError> {
    let readiness = match config.check_all() {
        Ok(()) => {
            probes::readiness(config, &mut PgStore::new(config), &mut Redis::new(config)).await
        }
        Err(e) => Readiness::misconfigured(e.to_string()),
    };
    let status = if readiness.ready { 200 } else { 503 };
    let body = json!({
        "status": if readiness.ready { "ready" } else { "unavailable" },
        "checks": readiness.checks,
    });
    Ok(Reply::json(status, &body).no_store())
}

pub async fn availability(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let query = probes::parse_availability(&incoming.query, config.default_phone_region()?)
        .map_err(ApiError::Validation)?;
    let available = probes::availability(
        config,
        &mut PgStore::new(config),
        &mut Redis::new(config),
        &query,
        &incoming.client(config)?,
    )
    .await?;
    Ok(Reply::json(200, &json!({"available": available})).no_store())
}
