//! `/auth/email/verify`, `/auth/email/verification`, `/auth/recovery` and
//! `/auth/recovery/complete`: verified emails and the way back from a
//! forgotten password.

use super::incoming::Incoming;
use super::reply::Reply;
use crate::core::config::Config;
use crate::core::flows::recovery::{
    self, EmailConfirmation, RecoveryCompletion, RecoveryRequest, VerificationRequest,
};
use crate::core::problem::ApiError;
use crate::edge::outbound::HostOutbound;
use crate::edge::postgres::PgStore;
use crate::edge::redis::Redis;

/// Anonymous, or signed in: a link that claims an address for an account
/// completes only signed in to that account.
pub async fn verify_email(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let client = incoming.client(config)?;
    let request = EmailConfirmation::parse(&incoming.json_body()?).map_err(ApiError::Validation)?;
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let opener = incoming
        .authenticate_if_presented(config, &mut redis)
        .await?;
    let verified = recovery::verify_email(
        config,
        &mut store,
        &mut redis,
        &request,
        opener.as_ref(),
        &client,
    )
    .await?;
    Ok(Reply::json(200, &verified).no_store())
}

pub async fn request_verification(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let principal = incoming.authenticate(config, &mut redis).await?;
    let request =
        VerificationRequest::parse(&incoming.json_body()?).map_err(ApiError::Validation)?;
    let sent = recovery::request_verification(
        config,
        &mut store,
        &mut redis,
        &mut HostOutbound,
        &principal,
        &request,
    )
    .await?;
    Ok(Reply::json(202, &sent).no_store())
}

pub async fn request(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let client = incoming.client(config)?;
    let request = RecoveryRequest::parse(&incoming.json_body()?, config.default_phone_region()?)
        .map_err(ApiError::Validation)?;
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    let answer = recovery::request_recovery(
        config,
        &mut store,
        &mut redis,
        &mut HostOutbound,
        &request,
        &client,
    )
    .await?;
    Ok(Reply::json(202, &answer).no_store())
}

pub async fn complete(incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
    let client = incoming.client(config)?;
    let request = RecoveryCompletion::parse(&incoming.json_body()?, config.default_phone_region()?)
        .map_err(ApiError::Validation)?;
    let (mut store, mut redis) = (PgStore::new(config), Redis::new(config));
    recovery::complete_recovery(
        config,
        &mut store,
        &mut redis,
        &mut HostOutbound,
        &request,
        &client,
    )
    .await?;
    Ok(Reply::no_content())
}
