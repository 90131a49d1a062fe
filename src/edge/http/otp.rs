//! `/auth/otp/request` and `/auth/otp/verify`: codes by SMS.

use super::auth;
use super::incoming::Incoming;
use super::reply::Reply;
use crate::core::config::Config;
use crate::core::flows::phone_codes::{self, CodeRequest, CodeVerification, Verified};
use crate::core::problem::ApiError;
use crate::edge::outbound::HostOutbound;
use crate::edge::postgres::PgStore;
use crate::edge::redis::Redis;
use serde_json::json;

pub async fn request(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let client = incoming.client(config)?;
    let body = incoming.json_body()?;
    let request =
        CodeRequest::parse(&body, config.default_phone_region()?).map_err(ApiError::Validation)?;
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    // `verify_phone` and `reauth` codes: for a signed-in user only.
    let principal = match request.purpose().needs_sign_in() {
        true => Some(incoming.authenticate(config, &mut redis).await?),
        false => None,
    };
    let sent = phone_codes::request_code(
        config,
        &mut store,
        &mut redis,
        &mut HostOutbound,
        &request,
        principal.as_ref(),
        &client,
    )
    .await?;
    Ok(Reply::json(202, &sent).no_store())
}

pub async fn verify(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let client = incoming.client(config)?;
    let by_cookie = incoming.browser(config)?.wants_cookies;
    let body = incoming.json_body()?;
    let request = CodeVerification::parse(&body, config.default_phone_region()?)
        .map_err(ApiError::Validation)?;
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let principal = match request.purpose().needs_sign_in() {
        true => Some(incoming.authenticate(config, &mut redis).await?),
        false => None,
    };
    let verified = phone_codes::verify_code(
        config,
        &mut store,
        &mut redis,
        &request,
        principal.as_ref(),
        &client,
    )
    .await?;
    let (name, proof, expires_in) = match verified {
        Verified::Tokens(tokens) => {
            let cookies = by_cookie.then(|| incoming.cookie_names());
            return Reply::tokens(config, 200, tokens, None, cookies);
        }
        Verified::PhoneProof { proof, expires_in } => ("phone_proof", proof, expires_in),
        Verified::AccountProof { proof, expires_in } => ("reauth_proof", proof, expires_in),
        Verified::SecondFactor(challenge) => return Ok(auth::second_factor_required(&challenge)),
    };
    Ok(Reply::json(
        200,
        &json!({name: proof.expose(), "expires_in": expires_in}),
    )
    .no_store()
    .header("pragma", "no-cache"))
}
