//! The flow of each endpoint, independent of Spin: given the parsed request
//! and the ports, decide and answer. One file per flow, with its request
//! parsing and its tests beside it, as `edge/http/` has one per resource:
//!
//! - `registration`: `POST /auth/register`;
//! - `sign_in`: login, refresh, logout;
//! - `account`: `/auth/me`, the password, contacts;
//! - `sessions`: the caller's sessions;
//! - `administration`: roles one may grant, users;
//! - `organizations`: fleets and firms, their members and heads;
//! - `invitations`: a head's invitations, as the invited person lists,
//!   accepts or declines them;
//! - `phone_codes`: codes by SMS, for signing in and proving a phone;
//! - `recovery`: verified emails, and recovery from a forgotten password;
//! - `second_factor`: TOTP enrolment, the second step of a sign-in;
//! - `probes`: readiness, availability, self-registration roles.
//!
//! What several flows share (the token pair, the rate-limit gate, ending
//! sessions in the right order with Redis) is here; reading a body field by
//! field is in `fields`.

pub mod account;
pub mod administration;
mod fields;
pub mod invitations;
pub mod organizations;
pub mod phone_codes;
pub mod probes;
pub mod recovery;
pub mod registration;
pub mod second_factor;
pub mod sessions;
pub mod sign_in;

use crate::core::abuse::{self, Verdict, Window};
use crate::core::audit::{self, SecurityEvent};
use crate::core::config::Config;
use crate::core::guard::Principal;
use crate::core::identity::Password;
use crate::core::passwords;
use crate::core::ports::{
    Caller, ClientInfo, Ending, EventMessage, Events, MeCache, PasswordCredentials, Revocations,
    Store, StoreError, Throttle, UserSessionsEnded,
};
use crate::core::problem::ApiError;
use crate::core::tokens::{self, RefreshSeed, RefreshToken, SigningSettings, Subject};
use serde::Serialize;

/// The channel on which committed events are announced.
pub const EVENTS_CHANNEL: &str = "auth.events";

#[derive(Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    pub expires_in: u32,
}

impl std::fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenPair([redacted])")
    }
}

fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A new pair for the session. The access token never outlives the session
/// (`session_seconds_left` until its absolute expiry): the guard asks only
/// Redis, which knows when a session was ended, not when it expires.
/// The refresh token is the session's of `generation` (0 for a session
/// just opened), made from its seed.
fn token_pair(
    config: &Config,
    subject: &Subject<'_>,
    (seed, generation): (&RefreshSeed, u64),
    session_seconds_left: i64,
) -> Result<TokenPair, ApiError> {
    let refresh =
        tokens::session_refresh_token(config.refresh_key()?, subject.session_id, generation, seed)
            .ok_or_else(|| {
                ApiError::from(StoreError::Failed(format!(
                    "a session id that is not a UUID: {}",
                    subject.session_id
                )))
            })?;
    let ttl_seconds = access_lifetime(config.access_ttl_seconds()?, session_seconds_left);
    let settings = SigningSettings {
        keys: config.keys()?,
        issuer: config.jwt_issuer()?,
        audience: config.jwt_audience()?,
        ttl_seconds,
    };
    let access = tokens::issue_access_token(&settings, subject, now_unix())
        .map_err(|e| ApiError::internal("tokens.sign_access_token", e))?;
    Ok(TokenPair {
        access_token: access.expose().clone(),
        refresh_token: refresh.expose().clone(),
        token_type: "bearer",
        expires_in: ttl_seconds,
    })
}

/// The seed of a session about to be opened.
fn new_refresh_seed(what: &'static str) -> Result<RefreshSeed, ApiError> {
    RefreshSeed::generate().map_err(|e| ApiError::internal(what, e))
}

/// The configured access lifetime, cut to what is left of the session.
fn access_lifetime(access_ttl_seconds: u32, session_seconds_left: i64) -> u32 {
    u32::try_from(session_seconds_left.max(0))
        .map_or(access_ttl_seconds, |left| access_ttl_seconds.min(left))
}

/// Publishes committed events on Redis and marks those that went out.
async fn announce(store: &mut impl Store, events: &mut impl Events, messages: &[EventMessage]) {
    let published = publish(events, messages).await;
    if published > 0 {
        let ids: Vec<String> = messages[..published]
            .iter()
            .map(|m| m.event_id.clone())
            .collect();
        if let Err(e) = store.mark_published(&ids).await {
            // Announced but not marked: it may be announced again, same id.
            eprintln!("announced events not marked published: {e:?}");
        }
    }
}

/// Publishes a registration's committed events: the first, its own, was
/// written already marked published (one round trip when it goes out) and
/// is given back if it does not; the others, older ones still waiting, are
/// marked once they went out, as `announce` does.
async fn announce_marked(
    store: &mut impl Store,
    events: &mut impl Events,
    messages: &[EventMessage],
) {
    let published = publish(events, messages).await;
    let result = match published {
        0 if !messages.is_empty() => {
            store
                .mark_unpublished(std::slice::from_ref(&messages[0].event_id))
                .await
        }
        0 | 1 => Ok(()),
        _ => {
            let ids: Vec<String> = messages[1..published]
                .iter()
                .map(|m| m.event_id.clone())
                .collect();
            store.mark_published(&ids).await
        }
    };
    if let Err(e) = result {
        // Only the Redis notice is at stake: CDC reads the outbox itself.
        eprintln!("the outbox's published marks not updated: {e:?}");
    }
}

/// Publishes messages in order until one fails; how many went out.
async fn publish(events: &mut impl Events, messages: &[EventMessage]) -> usize {
    for (sent, message) in messages.iter().enumerate() {
        if let Err(e) = events
            .publish(EVENTS_CHANNEL, message.to_json().to_string().as_bytes())
            .await
        {
            eprintln!(
                "event {} stays in the outbox for later: {e}",
                message.event_id
            );
            return sent;
        }
    }
    messages.len()
}

/// Counts an attempt in `windows` before any work is done for it: 429 when
/// a limit refuses it, 503 when Redis cannot count (fail closed).
async fn admit(throttle: &mut impl Throttle, windows: &[Window]) -> Result<(), ApiError> {
    match throttle.hit(windows).await? {
        Verdict::Allowed => Ok(()),
        Verdict::Refused {
            retry_after_seconds,
        } => {
            audit::security(SecurityEvent::Throttled {
                counters: windows
                    .iter()
                    .map(|w| abuse::counter_name(&w.key))
                    .collect(),
                retry_after_seconds,
            });
            Err(ApiError::TooManyRequests {
                retry_after_seconds,
            })
        }
    }
}

/// A protected call whose session turned out to have ended.
fn inactive_is_unauthenticated<T>(value: Option<T>) -> Result<T, ApiError> {
    value.ok_or(ApiError::InvalidToken)
}

fn caller(principal: &Principal) -> Caller<'_> {
    Caller {
        user_id: principal.user_id(),
        session_id: principal.session_id(),
    }
}

/// Runs `work` in one transaction that ends sessions of `user_id` and,
/// before committing, records them in Redis, where the guard refuses them at
/// once. If Redis cannot take them nothing is committed: the answer is 503
/// and the request can be retried. After the commit Redis hears once more,
/// so that a `/me` answer read from PostgreSQL while the transaction was
/// still open is not cached after it (see `MeCache`).
async fn ending_sessions<S: Store, T>(
    config: &Config,
    store: &mut S,
    revocations: &mut impl Revocations,
    user_id: &str,
    blacklisted_jti: Option<&str>,
    work: impl AsyncFnOnce(&mut S) -> Result<T, StoreError>,
) -> Result<T, ApiError> {
    ending_listed_sessions(
        config,
        store,
        revocations,
        user_id,
        blacklisted_jti,
        async |store| {
            let value = work(store).await?;
            let ended = store.sessions_ended_now().await?;
            Ok((value, ended))
        },
    )
    .await
}

/// `ending_sessions` for work that itself answers which sessions it ended
/// (one round trip fewer).
async fn ending_listed_sessions<S: Store, T>(
    config: &Config,
    store: &mut S,
    revocations: &mut impl Revocations,
    user_id: &str,
    blacklisted_jti: Option<&str>,
    work: impl AsyncFnOnce(&mut S) -> Result<(T, Vec<String>), StoreError>,
) -> Result<T, ApiError> {
    store.begin().await?;
    let recorded: Result<(T, Ending<'_>), ApiError> = async {
        let (value, sessions) = work(store).await?;
        let ending = Ending {
            user_id,
            sessions,
            blacklisted_jti,
        };
        tell_redis(config, revocations, &ending).await?;
        Ok((value, ending))
    }
    .await;
    let (value, ending) = match recorded {
        Ok(recorded) => recorded,
        Err(e) => {
            store.rollback().await;
            return Err(e);
        }
    };
    store.commit().await?;
    tell_redis_again(config, revocations, &ending).await;
    Ok(value)
}

/// Runs `work` in one transaction that may end sessions of any user (the
/// members of a deactivated organization; those a sign-in by code evicts,
/// whose user only the work finds out) and, before committing, records
/// them in Redis, user by user. Otherwise as `ending_sessions`: nothing is
/// committed if Redis cannot take them, and Redis hears again after.
async fn ending_sessions_of_anyone<S: Store, T>(
    config: &Config,
    store: &mut S,
    revocations: &mut impl Revocations,
    work: impl AsyncFnOnce(&mut S) -> Result<T, StoreError>,
) -> Result<T, ApiError> {
    fn ending(user: &UserSessionsEnded) -> Ending<'_> {
        Ending {
            user_id: &user.user_id,
            sessions: user.sessions.clone(),
            blacklisted_jti: None,
        }
    }
    store.begin().await?;
    let recorded: Result<(T, Vec<UserSessionsEnded>), ApiError> = async {
        let value = work(store).await?;
        let ended = store.users_ended_now().await?;
        for user in &ended {
            tell_redis(config, revocations, &ending(user)).await?;
        }
        Ok((value, ended))
    }
    .await;
    let (value, ended) = match recorded {
        Ok(recorded) => recorded,
        Err(e) => {
            store.rollback().await;
            return Err(e);
        }
    };
    store.commit().await?;
    for user in &ended {
        tell_redis_again(config, revocations, &ending(user)).await;
    }
    Ok(value)
}

/// Ends sessions known beforehand with one statement, `work`: Redis hears
/// first (if it cannot, 503 and nothing ended). Once is enough here: a
/// `/me` answer is cached only for a session Redis does not know ended
/// (`MeCache::remember_me`), and these sessions are known ended before
/// PostgreSQL ends them; what `/me` shows does not depend on the other
/// sessions. (`ending_sessions` tells Redis again after its commit, since
/// it learns which sessions end only inside the transaction.)
async fn ending_known_sessions<S: Store, T>(
    config: &Config,
    store: &mut S,
    revocations: &mut impl Revocations,
    ending: &Ending<'_>,
    work: impl AsyncFnOnce(&mut S) -> Result<T, StoreError>,
) -> Result<T, ApiError> {
    tell_redis(config, revocations, ending).await?;
    Ok(work(store).await?)
}

/// How long Redis refuses an ended session or a logged-out token at once:
/// as long as an access token issued now can pass (its lifetime and the
/// leeway of its expiry check). Past that, or if Redis loses the key sooner,
/// PostgreSQL refuses it: nothing depends on this key for safety.
fn refusal_seconds(config: &Config) -> Result<u64, ApiError> {
    Ok(u64::from(config.access_ttl_seconds()?) + tokens::LEEWAY_SECONDS)
}

/// Records sessions about to end (and a logged-out token) in Redis, always
/// before PostgreSQL ends them, so a failure here leaves nothing ended.
/// Nothing to record (a transaction that ended no session), nothing sent.
async fn tell_redis(
    config: &Config,
    revocations: &mut impl Revocations,
    ending: &Ending<'_>,
) -> Result<(), ApiError> {
    if ending.sessions.is_empty() && ending.blacklisted_jti.is_none() {
        return Ok(());
    }
    Ok(revocations
        .record_ending(ending, refusal_seconds(config)?)
        .await?)
}

/// The same, once the end has committed: moves the user's fence past any
/// `/me` answer read while it was committing. Best effort: the record made
/// before the commit already refuses the session.
async fn tell_redis_again(
    config: &Config,
    revocations: &mut impl Revocations,
    ending: &Ending<'_>,
) {
    if let Err(e) = tell_redis(config, revocations, ending).await {
        eprintln!("ended sessions not recorded again after the commit: {e:?}");
    }
}

/// After a change to what `/me` shows: every cached answer of the user goes
/// stale at once (if Redis cannot be told, they are at most
/// ME_CACHE_SECONDS old).
async fn forget_me(cache: &mut impl MeCache, user_id: &str) {
    if let Err(e) = cache.forget_me(user_id).await {
        eprintln!("/me of a changed user not forgotten: {e}");
    }
}

/// Checks a signed-in user's current password, counted like a login of each
/// of their logins before bcrypt runs (429 once locked, 503 if Redis cannot
/// count), so a stolen access token is no faster a password oracle than
/// login. The stored hash when it matches; a right password forgives as a
/// successful login does.
async fn check_current_password<'c>(
    config: &Config,
    throttle: &mut impl Throttle,
    credentials: &'c PasswordCredentials,
    given: &Password,
    client: &ClientInfo,
) -> Result<Option<&'c str>, ApiError> {
    let ip = client.ip.as_deref();
    let logins = &credentials.identifiers;
    admit(
        throttle,
        &abuse::password_check_windows(config.limits()?, logins, ip),
    )
    .await?;
    // An account without a password (phone-only) has no current one to give;
    // it still costs one verification.
    let stored = credentials.password_hash.as_deref();
    if !passwords::verify(given, stored, config.bcrypt_cost()?) {
        return Ok(None);
    }
    if let Err(e) = throttle
        .forgive(&abuse::password_check_succeeded(logins, ip))
        .await
    {
        eprintln!("credential check counters not cleared (Redis): {e}");
    }
    Ok(stored)
}

/// An id from the path (a user's, an organization's), as the database
/// spells it; anything that is no UUID names nothing here: 404.
fn id_in_path(raw: &str) -> Result<String, ApiError> {
    administration::parse_uuid(raw).ok_or(ApiError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::access_lifetime;

    #[test]
    fn an_access_token_never_outlives_its_session() {
        assert_eq!(access_lifetime(1800, 2_592_000), 1800, "a young session");
        assert_eq!(access_lifetime(1800, 600), 600, "ten minutes left");
        assert_eq!(access_lifetime(1800, 0), 0, "expiring now");
        assert_eq!(access_lifetime(1800, -5), 0, "already past");
    }
}
