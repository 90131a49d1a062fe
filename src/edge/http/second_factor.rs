//! `/auth/mfa/totp` (enrol, turn off), `/auth/mfa/totp/confirm` and
//! `/auth/login/mfa`: the second factor.

use super::incoming::Incoming;
use super::reply::Reply;
use crate::core::config::Config;
use crate::core::flows::second_factor::{self, Removal, SecondStepRequest};
use crate::core::problem::ApiError;
use crate::edge::outbound::HostOutbound;
use crate::edge::postgres::PgStore;
use crate::edge::redis::Redis;

/// `POST /auth/mfa/totp`: a fresh proof of the account → the secret, its
/// URI and QR code, shown this once.
pub async fn enrol(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let principal = incoming.authenticate(config, &mut redis).await?;
    let confirmation =
        second_factor::parse_enrolment(&incoming.json_body()?).map_err(ApiError::Validation)?;
    let client = incoming.client(config)?;
    let enrolment = second_factor::enrol(
        config,
        &mut store,
        &mut redis,
        &principal,
        &confirmation,
        &client,
    )
    .await?;
    Ok(Reply::json(201, &enrolment)
        .no_store()
        .header("pragma", "no-cache"))
}

/// `POST /auth/mfa/totp/confirm`: a code from the app → on, and the
/// recovery codes, shown this once.
pub async fn confirm(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let principal = incoming.authenticate(config, &mut redis).await?;
    let code =
        second_factor::parse_confirmation(&incoming.json_body()?).map_err(ApiError::Validation)?;
    let client = incoming.client(config)?;
    let codes = second_factor::confirm(
        config,
        &mut store,
        &mut redis,
        &mut HostOutbound,
        &principal,
        &code,
        &client,
    )
    .await?;
    Ok(Reply::json(200, &codes)
        .no_store()
        .header("pragma", "no-cache"))
}

/// `DELETE /auth/mfa/totp`: a fresh proof and a code → off.
pub async fn remove(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let principal = incoming.authenticate(config, &mut redis).await?;
    let request = Removal::parse(&incoming.json_body()?).map_err(ApiError::Validation)?;
    let client = incoming.client(config)?;
    second_factor::remove(
        config,
        &mut store,
        &mut redis,
        &mut HostOutbound,
        &principal,
        &request,
        &client,
    )
    .await?;
    Ok(Reply::no_content())
}

/// `POST /auth/login/mfa`: the `mfa_token` and a code → a token pair (in
/// cookies, in cookie mode, as every sign-in).
pub async fn login(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let client = incoming.client(config)?;
    let by_cookie = incoming.browser(config)?.wants_cookies;
    let request = SecondStepRequest::parse(&incoming.json_body()?).map_err(ApiError::Validation)?;
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let tokens =
        second_factor::complete_sign_in(config, &mut store, &mut redis, &request, &client).await?;
    Reply::tokens(
        config,
        200,
        tokens,
        None,
        by_cookie.then(|| incoming.cookie_names()),
    )
}
