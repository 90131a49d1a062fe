//! `/auth/register`, `/auth/login`, `/auth/refresh`, `/auth/logout`,
//! `/auth/me` and `/auth/password`: parse at the edge, decide in the core.

use super::incoming::Incoming;
use super::reply::Reply;
use crate::core::config::Config;
use crate::core::flows::account::{self, PasswordChange};
use crate::core::flows::registration::{self, Registration};
use crate::core::flows::second_factor::{SecondFactorChallenge, SignedIn};
use crate::core::flows::sign_in::{self, LoginRequest};
use crate::core::problem::{ApiError, FieldError};
use crate::core::web;
use crate::edge::outbound::HostOutbound;
use crate::edge::postgres::PgStore;
use crate::edge::redis::Redis;

pub async fn register(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let client = incoming.client(config)?;
    let by_cookie = incoming.browser(config)?.wants_cookies;
    let mut redis = Redis::new(config);
    registration::admit_registration(config, &mut redis, &client).await?;
    let body = incoming.json_body()?;
    let request =
        Registration::parse(&body, config.default_phone_region()?).map_err(ApiError::Validation)?;
    let mut store = PgStore::new(config);
    let registered = registration::register(
        config,
        &mut store,
        &mut redis,
        &mut HostOutbound,
        request,
        &client,
    )
    .await?;
    let user = serde_json::to_value(&registered.user)
        .map_err(|e| ApiError::internal("register.user_json", e))?;
    Reply::tokens(
        config,
        201,
        registered.tokens,
        Some(user),
        by_cookie.then(|| incoming.cookie_names()),
    )
}

pub async fn login(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let client = incoming.client(config)?;
    let by_cookie = incoming.browser(config)?.wants_cookies;
    let body = incoming.json_body()?;
    let request =
        LoginRequest::parse(&body, config.default_phone_region()?).map_err(ApiError::Validation)?;
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    match sign_in::login(config, &mut store, &mut redis, request, &client).await? {
        SignedIn::Tokens(tokens) => Reply::tokens(
            config,
            200,
            tokens,
            None,
            by_cookie.then(|| incoming.cookie_names()),
        ),
        SignedIn::SecondFactor(challenge) => Ok(second_factor_required(&challenge)),
    }
}

/// A first factor that found a second one on: no tokens, no cookies; the
/// `mfa_token` for `POST /auth/login/mfa`.
pub fn second_factor_required(challenge: &SecondFactorChallenge) -> Reply {
    Reply::json(200, &challenge.to_json())
        .no_store()
        .header("pragma", "no-cache")
}

pub async fn refresh(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let body = incoming.optional_json_body()?;
    let in_body = match &body {
        Some(body) => sign_in::parse_refresh(body).map_err(ApiError::Validation)?,
        None => None,
    };
    let in_cookie = incoming.cookie(incoming.cookie_names().refresh);
    if body.is_some() && in_body.is_none() && in_cookie.is_none() {
        // A body without the token, and no cookie to carry it.
        return Err(ApiError::Validation(vec![FieldError::new(
            "refresh_token",
            "is required",
        )]));
    }
    let presented = incoming
        .browser(config)?
        .refresh_token(in_body, in_cookie)?;
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let tokens = sign_in::refresh(config, &mut store, &mut redis, &presented.token).await?;
    Reply::tokens(
        config,
        200,
        tokens,
        None,
        presented.answer_by_cookie.then(|| incoming.cookie_names()),
    )
}

pub async fn logout(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let principal = incoming.authenticate(config, &mut redis).await?;
    let clear_cookies = incoming.browser(config)?.wants_cookies || incoming.presented().from_cookie;
    let body = incoming.optional_json_body()?;
    let all = sign_in::parse_logout(body.as_ref()).map_err(ApiError::Validation)?;
    sign_in::logout(config, &mut store, &mut redis, &principal, all).await?;
    let mut reply = Reply::no_content();
    if clear_cookies {
        for cookie in web::cleared_cookies(incoming.cookie_names()) {
            reply = reply.header("set-cookie", cookie);
        }
    }
    Ok(reply)
}

pub async fn me(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let (principal, cached) = incoming.authenticate_reading_me(config, &mut redis).await?;
    let me = account::me(&mut store, &mut redis, &principal, cached).await?;
    Ok(Reply::json(200, &me).no_store())
}

pub async fn change_password(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let principal = incoming.authenticate(config, &mut redis).await?;
    let body = incoming.json_body()?;
    let request = PasswordChange::parse(&body).map_err(ApiError::Validation)?;
    let client = incoming.client(config)?;
    account::change_password(config, &mut store, &mut redis, &principal, request, &client).await?;
    Ok(Reply::no_content())
}
