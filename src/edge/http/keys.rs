//! `GET /auth/.well-known/jwks.json`: the public keys that verify access tokens.

use super::reply::Reply;
use crate::core::config::Config;
use crate::core::problem::ApiError;

pub async fn jwks(config: &Config) -> Result<Reply, ApiError> {
    Ok(Reply::json(200, &config.keys()?.jwks()).header("cache-control", "public, max-age=300"))
}
